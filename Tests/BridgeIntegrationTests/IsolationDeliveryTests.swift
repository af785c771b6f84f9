// iotflow-bridge: one device whose points InfluxDB refuses cannot stall the rest of the fleet: the
// built bridge against real mosquitto and real InfluxDB 1.6.7, with counted background traffic.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import BridgeTestSupport
import Foundation
import Synchronization
import Testing

/// The built `iotflow-bridge` as a child process, configured through environment variables.
private final class BridgeChild: Sendable {
    let stateDirectory = temporaryPath("iotflow-isolation")
    let log = URL(fileURLWithPath: temporaryPath("iotflow-isolation", extension: "log"))
    private let process: ManagedProcess

    /// Starts the bridge and returns once it has subscribed.
    init(brokerPort: UInt16, influxURL: String, extra: [String: String]) async throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let environment = [
            "MQTT_PORT": "\(brokerPort)", "MQTT_CLIENT_ID": "bridge-\(UUID().uuidString.prefix(8))",
            "MQTT_RECONNECT_MIN": "200ms", "MQTT_RECONNECT_MAX": "1s",
            "INFLUXDB_API": "v1", "INFLUXDB_URL": influxURL, "INFLUXDB_DATABASE": "iotflow",
            "INFLUXDB_FLUSH_JITTER": "0s", "INFLUXDB_TIMEOUT": "5s",
            "RETRY_INITIAL": "200ms", "RETRY_MAX": "1s", "BREAKER_OPEN_FOR": "2s", "BREAKER_MAX_OPEN_FOR": "5s",
            "BUFFER_PATH": stateDirectory + "/buffer", "DEAD_LETTERS_PATH": stateDirectory + "/dead-letters.jsonl",
            "LOGGING_SUMMARY_INTERVAL": "1s", "HTTP_LISTEN": "",
        ].merging(extra) { $1 }
        process = try ManagedProcess(
            executable: try Integration.product("iotflow-bridge"),
            arguments: ["run"],
            environment: environment,
            logURL: log
        )
        try await eventually(timeout: .seconds(30), "the bridge to subscribe") { [process, log] in
            guard process.isRunning else { throw HarnessError("the bridge exited: \(process.logTail())") }
            return ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("Subscribed.")
        }
    }

    var isRunning: Bool { process.isRunning }
    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The bridge's peak resident set (`VmHWM`) in bytes.
    func peakRSS() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])) * 1024
    }

    /// The value of `key` in the last Summary line (logged every second).
    func lastSummary(_ key: String) -> Int? {
        guard let line = logText.split(separator: "\n").last(where: { $0.contains("Summary.") }),
            let field = line.split(separator: " ").first(where: { $0.hasPrefix("\(key)=") })
        else { return nil }
        return Int(field.dropFirst(key.count + 1))
    }

    /// SIGTERM; the exit status.
    func terminate() async -> Int32? {
        await process.terminate(timeout: .seconds(60))
        return process.terminationStatus
    }

    deinit {
        try? FileManager.default.removeItem(atPath: stateDirectory)
        try? FileManager.default.removeItem(at: log)
    }
}

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(5)))
struct IsolationDeliveryTests {
    private let database = "iotflow"
    /// What one dead-letter record of a refused point may take: its line (~75 bytes), time,
    /// reason (~56), status and device; measured ~210 bytes.
    private let deadLetterBytesPerPoint = 256
    /// The bridge idles at ~40 MB (Foundation maps ICU); measured ~43 MB at the end of each test.
    private let peakRSSBound = 96 * 1024 * 1024

    /// A broker, and an InfluxDB whose `iotflow` database keeps one hour: older points are refused.
    private func servers() async throws -> (MosquittoBroker, InfluxDB1Server) {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: "unused")
        _ = try await influx.query("CREATE DATABASE \(database) WITH DURATION 1h")
        return (broker, influx)
    }

    /// Distinct `seq` values and stored points of the background traffic.
    private func landed(_ influx: InfluxDB1Server) async throws -> (distinct: Int, points: Int) {
        let distinct = try await influx.query("SELECT COUNT(DISTINCT(seq)) FROM environment", database: database)
        let points = try await influx.count(measurement: "environment", field: "seq", database: database)
        return (Int(distinct.first?.values.first?.last?.int ?? 0), points)
    }

    /// A counter of InfluxDB's HTTP service (`SHOW STATS FOR 'httpd'`, REFERENCE.md §G).
    private func httpStat(_ name: String, _ influx: InfluxDB1Server) async throws -> Int {
        let stats = try await influx.query("SHOW STATS FOR 'httpd'")
        return Int(stats.first?.column(name).first?.int ?? -1)
    }

    /// Publishes `count` points of device `stale-1` dated two hours ago (inside `mapping.max_past`,
    /// outside the database's retention), one QoS 1 message each, with mosquitto_pub.
    private func publishStale(port: UInt16, count: Int) async throws {
        let twoHoursAgo = Int(Date().timeIntervalSince1970 * 1000) - 2 * 3_600_000
        let payloads = (0..<count).map { #"{"v": 1.5, "seq": \#($0), "timestamp": \#(twoHoursAgo - $0)}"# }
        let file = temporaryPath("iotflow-stale", extension: "txt")
        try (payloads.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (status, output) = try await runProgram(
            "/bin/sh",
            [
                "-c",
                "/usr/bin/mosquitto_pub -h 127.0.0.1 -p \(port) -q 1 -t iotflow/devices/stale-1/telemetry/stale -l < \(file)",
            ]
        )
        try #require(status == 0, "mosquitto_pub failed: \(output)")
    }

    private func deadLetters(at path: String) -> [DeadLetter] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { DeadLetter(jsonLine: String($0)) }
    }

    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// One device's 1,000 points are all refused (older than the retention policy) amid 4,000
    /// background points from 50 devices, in batches of 1,000. InfluxDB 1.x answers each batch
    /// that holds refused points `partial write: points beyond retention policy dropped=N`, having
    /// stored the rest, so every batch settles in exactly one request: 5 requests for 5,000
    /// points, where bisecting would take up to 2 × 1,000 − 1 per batch.
    @Test func aDeviceWhosePointsAreRefusedWholesaleCostsOneRequestPerBatch() async throws {
        let (broker, influx) = try await servers()
        let bridge = try await BridgeChild(
            brokerPort: broker.port,
            influxURL: influx.baseURL.absoluteString,
            extra: ["INFLUXDB_BATCH_SIZE": "1000", "INFLUXDB_FLUSH_INTERVAL": "60s"]
        )
        async let background: Void = publish(port: broker.port, devices: 50, count: 4_000, rate: 2_000)
        try await publishStale(port: broker.port, count: 1_000)
        try await background
        try await eventually(timeout: .seconds(60), "4,000 background points landed") {
            try await landed(influx).distinct >= 4_000
        }
        let path = bridge.stateDirectory + "/dead-letters.jsonl"
        try await eventually(timeout: .seconds(30), "1,000 dead letters") { deadLetters(at: path).count >= 1_000 }

        #expect(bridge.isRunning)
        #expect(try await landed(influx) == (4_000, 4_000))
        let letters = deadLetters(at: path)
        #expect(letters.count == 1_000 && Set(letters.compactMap(\.device)) == ["stale-1"])
        #expect(
            letters.allSatisfy {
                $0.status == 400 && $0.reason.hasPrefix("partial write: points beyond retention policy")
            },
            "\(letters.first.map { "\($0)" } ?? "")"
        )
        #expect(fileSize(path) <= 1_000 * deadLetterBytesPerPoint, "\(fileSize(path)) dead-letter bytes")
        let writeRequests = try await httpStat("writeReq", influx)
        #expect(writeRequests == 5, "\(writeRequests) write requests for 5 batches")
        #expect(try await httpStat("pointsWrittenDropped", influx) == 1_000)
        let peak = try bridge.peakRSS()
        #expect(peak < peakRSSBound, "peak RSS \(peak) bytes")
        // The summary is logged every second: wait for one that counts every point.
        try await eventually("the summary counted every point") {
            bridge.lastSummary("messages_received") == 5_000 && bridge.lastSummary("buffer_points") == 0
        }
        #expect(
            bridge.lastSummary("points_rejected") == 1_000 && bridge.lastSummary("points_written") == 4_000
                && bridge.lastSummary("requests") == 5,
            "\(bridge.logText.split(separator: "\n").last { $0.contains("Summary.") } ?? "")"
        )
        #expect(await bridge.terminate() == 0)
    }

    /// The dead-letter path cannot be written (its parent is a regular file, which stops root too):
    /// the batch holding refused lines stays buffered, its background points are stored, later
    /// traffic waits behind it (intake would pause once the buffer filled), and once the path can
    /// be written the records are written and everything lands.
    @Test func anUnwritableDeadLetterPathHoldsTheRefusedLinesUntilItWorks() async throws {
        let (broker, influx) = try await servers()
        let directory = temporaryPath("iotflow-dead-letters")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let blocker = directory + "/blocker"
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data("a file".utf8)))
        let path = blocker + "/dead-letters.jsonl"
        let bridge = try await BridgeChild(
            brokerPort: broker.port,
            influxURL: influx.baseURL.absoluteString,
            extra: ["INFLUXDB_BATCH_SIZE": "600", "INFLUXDB_FLUSH_INTERVAL": "60s", "DEAD_LETTERS_PATH": path]
        )
        // Three batches of background traffic land as usual.
        try await publish(port: broker.port, devices: 50, count: 1_800)
        try await eventually("1,800 landed") { try await landed(influx).distinct >= 1_800 }

        // The fourth batch: 100 refused points and 500 background ones.
        try await publishStale(port: broker.port, count: 100)
        try await publish(port: broker.port, devices: 50, count: 500, firstSeq: 1_800)
        try await eventually("the failed dead-letter write") {
            bridge.logText.contains("Cannot write the dead-letter file")
        }
        try await eventually("its 500 background points landed") { try await landed(influx).distinct >= 2_300 }
        // A fifth batch waits behind the held one.
        try await publish(port: broker.port, devices: 50, count: 600, firstSeq: 2_300)
        try await eventually("the fifth batch buffered") { bridge.lastSummary("buffer_points") == 1_200 }
        #expect(try await landed(influx) == (2_300, 2_300))
        #expect(try await httpStat("writeReq", influx) == 4)
        #expect(bridge.lastSummary("points_rejected") == 0)
        let failures = bridge.logText.split(separator: "\n").filter { $0.contains("Cannot write the dead-letter file") }
        #expect(failures.count == 1 && failures.allSatisfy { $0.contains("dead_letters.path=\(path)") }, "\(failures)")

        try FileManager.default.removeItem(atPath: blocker)
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: false)
        try await eventually("everything landed") { try await landed(influx).distinct >= 2_900 }
        try await eventually("the summary counted every point") {
            bridge.lastSummary("messages_received") == 3_000 && bridge.lastSummary("buffer_points") == 0
        }

        #expect(bridge.isRunning)
        #expect(try await landed(influx) == (2_900, 2_900))
        let letters = deadLetters(at: path)
        #expect(letters.count == 100 && letters.allSatisfy { $0.device == "stale-1" && $0.status == 400 })
        #expect(fileSize(path) <= 100 * deadLetterBytesPerPoint)
        #expect(try await httpStat("writeReq", influx) == 5)
        #expect(bridge.logText.contains("The dead-letter file takes writes again"))
        #expect(bridge.lastSummary("points_rejected") == 100 && bridge.lastSummary("points_written") == 2_900)
        let peak = try bridge.peakRSS()
        #expect(peak < peakRSSBound, "peak RSS \(peak) bytes")
        #expect(await bridge.terminate() == 0)
    }
}
