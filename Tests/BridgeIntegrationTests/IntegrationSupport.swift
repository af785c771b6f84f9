// iotflow-bridge: what the end-to-end suites share: the CI gate, binaries, a bridge under test.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import BridgeTestSupport
import Foundation
import InMemoryLogging
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// The real servers the suites need, and whether this run may skip without them.
enum Integration {
    /// Servers that are not installed.
    static let missingServers: [String] = [
        ServerBinaries.mosquitto == nil ? "mosquitto" : nil,
        ServerBinaries.influxd == nil ? "influxd" : nil,
        ServerBinaries.victoriaMetrics == nil ? "victoria-metrics" : nil,
        FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") ? nil : "promtool",
    ].compactMap { $0 }

    /// In CI (`CI` set, as `.ci/run` has it) or under `scripts/test.sh` a missing server fails
    /// the suite instead of skipping it: a skipped integration suite must never look green there.
    static let mustRun =
        ProcessInfo.processInfo.environment["CI"] != nil
        || ProcessInfo.processInfo.environment["IOTFLOW_REQUIRE_INTEGRATION"] != nil

    /// Fails the test when a server is missing where skipping is not allowed.
    static func requireServers() throws {
        try #require(missingServers.isEmpty, "not installed: \(missingServers.joined(separator: ", "))")
    }

    /// The directory holding the built products (`iotflow-bridge`, `iotflow-sim`): the test
    /// bundle is built next to them.
    static let productsDirectory: URL = {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent()
    }()

    static func product(_ name: String) throws -> String {
        let path = productsDirectory.appendingPathComponent(name).path
        try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is missing: run `swift build` first")
        return path
    }

    /// libmosquitto and libcurl global init, once per test process, before any bridge thread.
    static let librariesReady: Void = LibraryBootstrap.initialize()
}

extension Trait where Self == ConditionTrait {
    /// Runs the suite when mosquitto, influxd and victoria-metrics are installed; skips it visibly
    /// otherwise, except in CI or under scripts/test.sh, where it runs and fails.
    static var requiresRealServers: Self {
        .enabled(
            if: Integration.missingServers.isEmpty || Integration.mustRun,
            "needs \(Integration.missingServers.joined(separator: ", ")) (apt-get install mosquitto influxdb victoria-metrics)"
        )
    }
}

/// A started mosquitto (with `persistence` as given) and a started InfluxDB 1.6.7 holding an
/// empty `database`; fails the test when the servers are not installed.
func startBrokerAndInfluxDB(
    database: String,
    brokerPersistence: Bool = false
) async throws -> (MosquittoBroker, InfluxDB1Server) {
    try Integration.requireServers()
    let broker = try MosquittoBroker()
    try await broker.start(persistence: brokerPersistence)
    let influx = try InfluxDB1Server()
    try await influx.start()
    try await influx.createDatabase(database)
    return (broker, influx)
}

/// Runs a program to completion (bounded by `timeout`) and returns its exit status and output.
func runProgram(
    _ executable: String,
    _ arguments: [String],
    environment: [String: String] = [:],
    timeout: Duration = .seconds(120)
) async throws -> (status: Int32, output: String) {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("iotflow-run-\(UUID().uuidString).log")
    let process = try ManagedProcess(
        executable: executable,
        arguments: arguments,
        environment: environment,
        logURL: log
    )
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
        guard ContinuousClock.now < deadline else {
            await process.terminate()
            throw HarnessError("\(executable) \(arguments) did not finish within \(timeout)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    defer { try? FileManager.default.removeItem(at: log) }
    return (process.terminationStatus ?? -1, process.logText())
}

/// Waits until `condition` holds, checking every 50 ms, for at most `timeout`.
func eventually(
    timeout: Duration = .seconds(60),
    _ what: String,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw HarnessError("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// A bridge running in this process, with its logs captured.
final class BridgeUnderTest: Sendable {
    let application: BridgeApplication
    let logs = InMemoryLogHandler()
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// The HTTP endpoint's port, when the bridge serves one.
    let httpPort: Int?

    /// Starts the bridge and returns once the broker granted its subscription (or, with
    /// `waitForSubscription: false`, at once). With `serveHTTP` it also serves its HTTP endpoint
    /// on a free port of 127.0.0.1 (`httpPort`); without, `http.listen` is ignored.
    init(_ configuration: BridgeConfiguration, waitForSubscription: Bool = true, serveHTTP: Bool = false) async throws {
        _ = Integration.librariesReady
        var configuration = configuration
        configuration.http.listen = serveHTTP ? "127.0.0.1:\(FreePort.next())" : ""
        try configuration.validate()
        let logs = self.logs
        let logger = Logger(label: "iotflow-bridge") { _ in logs }
        application = try BridgeApplication(configuration: configuration, logger: logger)
        let endpoint = try await application.startHTTPEndpoint()
        httpPort = endpoint?.localAddress.port
        let group = application.serviceGroup(gracefulShutdownSignals: [], httpEndpoint: endpoint)
        self.group = group
        task = Task { try await group.run() }
        if waitForSubscription {
            try await subscribed()
        }
    }

    /// Returns once the broker granted the bridge's subscription (at most 30 s).
    func subscribed() async throws {
        let application = self.application
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                await application.waitUntilSubscribed()
                return true
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                return false
            }
            let subscribed = try await group.next() ?? false
            group.cancelAll()
            if !subscribed { throw HarnessError("the bridge did not subscribe within 30 s") }
        }
    }

    var counters: BridgeCounters.Snapshot { application.counters.snapshot() }

    /// Graceful shutdown, as SIGTERM would do it: stop intake, drain, stop.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// The captured log messages at `level` or above.
    func messages(atLeast level: Logger.Level) -> [String] {
        logs.entries.filter { $0.level >= level }.map { "\($0.message)" }
    }
}

/// A configuration for tests: the given broker and target, fast flushes, quiet summary.
func testConfiguration(
    brokerPort: UInt16,
    influx: InfluxConfiguration,
    clientID: String = "bridge-\(UUID().uuidString.prefix(8))"
)
    -> BridgeConfiguration
{
    var influx = influx
    influx.flushInterval = .milliseconds(500)
    influx.flushJitter = .zero
    influx.timeout = .seconds(5)
    influx.connectTimeout = .seconds(1)
    return BridgeConfiguration(
        mqtt: MQTTConfiguration(
            port: Int(brokerPort),
            clientID: clientID,
            reconnectMin: .milliseconds(200),
            reconnectMax: .seconds(1)
        ),
        influxdb: influx,
        // Production backs off to 60 s and opens the breaker for 60 s; tests want recoveries in seconds.
        retry: RetryConfiguration(initial: .milliseconds(200), maximum: .seconds(2)),
        breaker: BreakerConfiguration(failures: 5, openFor: .seconds(3), maximumOpenFor: .seconds(10)),
        deadLetters: DeadLetterConfiguration(
            path: temporaryPath("iotflow-dl", extension: "jsonl")
        ),
        buffer: BufferConfiguration(path: temporaryPath("iotflow-buffer")),
        logging: LoggingConfiguration(summaryInterval: .seconds(3600)),
        shutdown: ShutdownConfiguration(drain: .seconds(10))
    )
}

/// A fresh path under the temporary directory (nothing is created there).
func temporaryPath(_ prefix: String, extension: String? = nil) -> String {
    let name = "\(prefix)-\(UUID().uuidString)" + (`extension`.map { ".\($0)" } ?? "")
    return FileManager.default.temporaryDirectory.appendingPathComponent(name).path
}

/// Publishes `count` simulator messages with `iotflow-sim publish` and checks all were acknowledged.
func publish(
    port: UInt16,
    devices: Int,
    count: Int,
    rate: Int = 0,
    firstSeq: Int = 0,
    extra: [String] = []
) async throws {
    let arguments =
        [
            "publish", "--port", "\(port)", "--devices", "\(devices)", "--count", "\(count)", "--rate", "\(rate)",
            "--qos", "1", "--first-seq", "\(firstSeq)",
        ] + extra
    let (status, output) = try await runProgram(try Integration.product("iotflow-sim"), arguments)
    try #require(status == 0, "iotflow-sim failed: \(output)")
    try #require(output.contains("published \(count) acknowledged \(count)"), "\(output)")
}

/// Publishes one raw message with mosquitto_pub (QoS 1).
func publishRaw(port: UInt16, topic: String, payload: String) async throws {
    let (status, output) = try await runProgram(
        "/usr/bin/mosquitto_pub",
        ["-h", "127.0.0.1", "-p", "\(port)", "-q", "1", "-t", topic, "-m", payload]
    )
    try #require(status == 0, "mosquitto_pub failed: \(output)")
}

/// Bodies the sink's responder answered 204, recorded by the responder itself.
final class AcceptedBodies: Sendable {
    private let bodies = Mutex<[String]>([])
    private let accepting: Mutex<Bool>

    init(accepting: Bool) {
        self.accepting = Mutex(accepting)
    }

    func startAccepting() { accepting.withLock { $0 = true } }

    /// 204 (recording the body) while accepting, otherwise `refusal`.
    func answer(_ request: RecordedRequest, refusal: FakeResponse) -> FakeResponse {
        guard accepting.withLock({ $0 }) else { return refusal }
        bodies.withLock { $0.append(request.decodedBody) }
        return .noContent
    }

    var lines: [Substring] { bodies.withLock { $0 }.flatMap { $0.split(separator: "\n") } }
}
