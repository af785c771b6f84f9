// iotflow-bridge: the built bridge and simulator as child processes, for the end-to-end suites.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Synchronization
import Testing

/// The built `iotflow-bridge` as a child process, configured through environment variables (and
/// `configFile`, for keys they leave unset), with one state directory and one log file across its
/// restarts.
final class BridgeProcess: Sendable {
    let environment: [String: String]
    /// The YAML file passed with `--config`, if any; a test rewrites it before a SIGHUP.
    let configFile: String?
    /// More arguments after `run` (e.g. `--dry-run`).
    let arguments: [String]
    let stateDirectory = temporaryPath("iotflow-state")
    let log = URL(fileURLWithPath: temporaryPath("iotflow-bridge", extension: "log"))
    /// Where its HTTP endpoint listens (127.0.0.1), the same across restarts: every bridge these
    /// suites run serves it, so the endpoint also lives through their kills and outages.
    let httpPort = FreePort.next()
    private let current = Mutex<ManagedProcess?>(nil)

    init(
        brokerPort: UInt16,
        influxURL: String,
        api: String = "v1",
        configFile: String? = nil,
        arguments: [String] = [],
        extra: [String: String] = [:]
    ) {
        self.configFile = configFile
        self.arguments = arguments
        environment = [
            "MQTT_PORT": "\(brokerPort)", "MQTT_CLIENT_ID": "bridge-\(UUID().uuidString.prefix(8))",
            "MQTT_RECONNECT_MIN": "200ms", "MQTT_RECONNECT_MAX": "1s",
            "INFLUXDB_API": api, "INFLUXDB_URL": influxURL, "INFLUXDB_DATABASE": "iotflow",
            "INFLUXDB_FLUSH_INTERVAL": "500ms", "INFLUXDB_FLUSH_JITTER": "0s", "INFLUXDB_TIMEOUT": "5s",
            "RETRY_INITIAL": "200ms", "RETRY_MAX": "2s", "BREAKER_OPEN_FOR": "2s", "BREAKER_MAX_OPEN_FOR": "5s",
            "BUFFER_PATH": stateDirectory + "/buffer", "DEAD_LETTERS_PATH": stateDirectory + "/dead-letters.jsonl",
            "LOGGING_SUMMARY_INTERVAL": "1h", "HTTP_LISTEN": "127.0.0.1:\(httpPort)",
        ].merging(extra) { $1 }
    }

    /// Starts the bridge and returns once it has subscribed (again), or at once without
    /// `waitingForSubscription` (a bridge that cannot connect).
    func start(waitingForSubscription: Bool = true) async throws {
        let before = subscriptions
        let process = try ManagedProcess(
            executable: try Integration.product("iotflow-bridge"),
            arguments: ["run"] + (configFile.map { ["--config", $0] } ?? []) + arguments,
            environment: environment,
            logURL: log
        )
        current.withLock { $0 = process }
        guard waitingForSubscription else { return }
        try await eventually(timeout: .seconds(30), "the bridge to subscribe") {
            guard process.isRunning else { throw HarnessError("the bridge exited: \(process.logTail())") }
            return subscriptions > before
        }
    }

    func kill9() async { await current.withLock { $0 }?.kill9() }

    /// The running bridge's process id.
    var pid: Int32? { current.withLock { $0 }?.pid }

    /// SIGTERM; returns the exit status and how long the bridge took to exit.
    func terminate() async -> (status: Int32?, took: Duration) {
        let started = ContinuousClock.now
        guard let process = current.withLock({ $0 }) else { return (nil, .zero) }
        await process.terminate(timeout: .seconds(60))
        return (process.terminationStatus, ContinuousClock.now - started)
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The durable buffer's directory.
    var bufferDirectory: String { stateDirectory + "/buffer" }

    /// The size of the rejected-lines dead-letter file in bytes (0 when there is none).
    var deadLetterBytes: Int {
        let path = stateDirectory + "/dead-letters.jsonl"
        return ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// Whether the bridge started last is still running.
    var isRunning: Bool { current.withLock { $0 }?.isRunning ?? false }

    /// The running bridge's peak resident set size in bytes (`VmHWM`), or nil if it is gone.
    var peakRSSBytes: Int? {
        guard let pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else {
            return nil
        }
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }
    private var subscriptions: Int { logText.components(separatedBy: "Subscribed.").count - 1 }

    deinit {
        try? FileManager.default.removeItem(atPath: stateDirectory)
        try? FileManager.default.removeItem(at: log)
    }
}

/// `iotflow-sim publish` running in the background (QoS 1, epoch-ms device timestamps, so a
/// replayed point is the same point).
func startPublisher(
    port: UInt16,
    devices: Int,
    count: Int,
    rate: Int,
    firstSeq: Int = 0,
    measurement: String = "environment"
) throws
    -> ManagedProcess
{
    try ManagedProcess(
        executable: try Integration.product("iotflow-sim"),
        arguments: [
            "publish", "--port", "\(port)", "--devices", "\(devices)", "--count", "\(count)", "--rate", "\(rate)",
            "--qos", "1", "--first-seq", "\(firstSeq)", "--timestamp", "epoch-ms", "--measurement", measurement,
            "--timeout", "300",
        ],
        logURL: URL(fileURLWithPath: temporaryPath("iotflow-publisher", extension: "log"))
    )
}

/// Waits for the publisher and requires that the broker acknowledged every message.
func requireAllAcknowledged(_ publisher: ManagedProcess, count: Int) async throws {
    try await eventually(timeout: .seconds(300), "the publisher to finish") { !publisher.isRunning }
    #expect(publisher.terminationStatus == 0)
    try #require(publisher.logText().contains("published \(count) acknowledged \(count)"), "\(publisher.logText())")
}
