// iotflow-bridge: the `iotflow-sim count` subcommand.
// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Glibc
import Mosquitto

/// `iotflow-sim count`: a plain subscriber that measures the broker's own delivery rate.
///
/// Prints `ready` once subscribed (scripts wait for it before publishing), then
/// `received <N> in <s.mmm>s rate <n> msg/s`, timed from the first message to the last.
/// The exit status is 0 only when exactly `--expect` messages arrived before `--timeout`.
/// With `--keep-session` the broker keeps the subscription and queues for `--client-id` while it
/// is away: `--expect 0` only subscribes, and a later run drains what was published meanwhile.
struct CountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count",
        abstract: "Subscribe and count delivered messages."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Topic filter to subscribe to.")
    var topic = "iotflow/devices/+/telemetry/+"

    @Option(help: "Number of messages to wait for (at least 1; 0 with --keep-session only subscribes).")
    var expect: Int

    @Flag(help: "Keep the broker session while disconnected (clean session off; needs --client-id).")
    var keepSession = false

    func validate() throws {
        guard expect >= (keepSession ? 0 : 1) else {
            throw ValidationError("--expect must be at least 1 (0 only with --keep-session).")
        }
        guard !keepSession || connection.clientID != nil else {
            throw ValidationError("--keep-session needs --client-id: the broker keeps the session by client id.")
        }
        // libmosquitto traps on an invalid filter, so refuse it here.
        guard MosquittoClient.isValidFilter(topic) else {
            throw ValidationError("--topic '\(topic)' is not a valid MQTT topic filter.")
        }
    }

    func run() throws {
        MosquittoLibrary.initialize()
        defer { MosquittoLibrary.cleanup() }
        let deadline = ContinuousClock.now + .seconds(fractional: connection.timeout)
        let outcome = try DeliveryCounter(filter: topic, expected: expect, cleanSession: !keepSession)
            .run(options: connection, until: deadline) {
                print("ready")
                // stdout is a pipe under scripts, so without a flush "ready" would wait in the buffer.
                fflush(nil)
            }
        print(
            "received \(outcome.received) in \(outcome.elapsed.secondsText)s"
                + " rate \(outcome.elapsed.rate(of: outcome.received)) msg/s"
        )
        guard outcome.received == expect else {
            throw SimulatorError(
                "timed out after \(connection.timeout) s: received \(outcome.received) of \(expect) messages"
            )
        }
    }
}
