// iotflow-bridge: the `iotflow-sim publish` subcommand.
// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Mosquitto

/// `iotflow-sim publish`: sends ESP32-like telemetry and prints one summary line.
///
/// The line is `published <N> acknowledged <M> in <s.mmm>s rate <n> msg/s`; the exit status is 0
/// only when every message of the run was acknowledged before `--timeout`.
struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish simulated device telemetry and wait for the broker's acknowledgements."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Number of simulated devices (1-100000); message k comes from device k % devices.")
    var devices = 10

    @Option(help: "Total number of messages.")
    var count = 1000

    @Option(help: "Messages per second over all devices; 0 sends as fast as the broker acknowledges.")
    var rate: Double = 0

    @Option(help: "Topic prefix; messages go to <prefix>/<device>/telemetry/<measurement>.")
    var topicPrefix = "iotflow/devices"

    @Option(help: "Measurement name, the last topic level.")
    var measurement = "environment"

    @Option(help: "Timestamp field of each payload.")
    var timestamp: TimestampFormat = .omitted

    @Option(help: "The seq value of the first message.")
    var firstSeq = 0

    @Option(help: "Most QoS 1/2 messages awaiting acknowledgement at once (1-65535).")
    var maxInflight = 100

    func validate() throws {
        guard (1...100_000).contains(devices) else {
            throw ValidationError("--devices must be between 1 and 100000.")
        }
        guard count >= 1 else {
            throw ValidationError("--count must be at least 1.")
        }
        guard rate >= 0, rate.isFinite else {
            throw ValidationError("--rate must be 0 (unpaced) or a positive number of messages per second.")
        }
        guard (1...65535).contains(maxInflight) else {
            throw ValidationError("--max-inflight must be between 1 and 65535.")
        }
        // libmosquitto traps on a topic with wildcards, so refuse it here.
        guard Self.isTopicLevels(topicPrefix), Self.isTopicLevels(measurement), !measurement.contains("/") else {
            throw ValidationError("--topic-prefix and --measurement must be non-empty and free of '+', '#' and NUL.")
        }
    }

    func run() throws {
        MosquittoLibrary.initialize()
        defer { MosquittoLibrary.cleanup() }
        let telemetry = Telemetry(
            topicPrefix: topicPrefix,
            measurement: measurement,
            deviceCount: devices,
            firstSequence: firstSeq,
            timestampFormat: timestamp
        )
        let settings = Publisher.Settings(count: count, qos: connection.qos, maxInFlight: maxInflight, rate: rate)
        let deadline = ContinuousClock.now + .seconds(fractional: connection.timeout)
        let outcome = try Publisher(telemetry: telemetry, settings: settings)
            .run(options: connection, until: deadline)
        print(
            "published \(outcome.published) acknowledged \(outcome.acknowledged)"
                + " in \(outcome.elapsed.secondsText)s rate \(outcome.elapsed.rate(of: outcome.acknowledged)) msg/s"
        )
        guard outcome.acknowledged == count else {
            throw SimulatorError(
                "timed out after \(connection.timeout) s: \(outcome.acknowledged) of \(count) messages acknowledged"
            )
        }
    }

    private static func isTopicLevels(_ text: String) -> Bool {
        !text.isEmpty && !text.contains { $0 == "+" || $0 == "#" || $0 == "\0" }
    }
}
