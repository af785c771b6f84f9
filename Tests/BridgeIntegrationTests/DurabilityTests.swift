// iotflow-bridge: the durable buffer's promise, end to end: the built bridge is killed, stopped and
// restarted around real mosquitto and real InfluxDB 1.6.7, and every acknowledged message lands.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import BridgeTestSupport
import Foundation
import Synchronization
import Testing

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(5)))
struct DurabilityTests {
    private let database = "iotflow"

    /// Distinct `seq` values and stored points in `environment`.
    private func landed(_ influx: InfluxDB1Server) async throws -> (distinct: Int, points: Int) {
        let distinct = try await influx.query("SELECT COUNT(DISTINCT(seq)) FROM environment", database: database)
        let points = try await influx.count(measurement: "environment", field: "seq", database: database)
        return (Int(distinct.first?.values.first?.last?.int ?? 0), points)
    }

    private func waitUntilLanded(
        _ influx: InfluxDB1Server,
        _ count: Int,
        timeout: Duration = .seconds(120)
    ) async throws {
        try await eventually(timeout: timeout, "\(count) distinct seq in InfluxDB") {
            try await landed(influx).distinct >= count
        }
    }

    @Test func killNineThreeTimesDuringFiftyThousandMessagesLosesNothing() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        let bridge = BridgeProcess(brokerPort: broker.port, influxURL: influx.baseURL.absoluteString)
        try await bridge.start()

        // 50,000 messages at 5,000/s: about 10 s, with a kill -9 every 2.5 s.
        let publisher = try startPublisher(port: broker.port, devices: 100, count: 50_000, rate: 5_000)
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(2_500))
            await bridge.kill9()
            try await bridge.start()
        }
        try await requireAllAcknowledged(publisher, count: 50_000)
        try await waitUntilLanded(influx, 50_000)
        let (distinct, points) = try await landed(influx)
        #expect(distinct == 50_000)
        // Replays were byte-identical, so they overwrote instead of adding points.
        #expect(points == 50_000)
        #expect(bridge.logText.components(separatedBy: "Recovered the durable buffer").count - 1 >= 1)
        _ = await bridge.terminate()
    }

    @Test func aBrokerRestartWithPersistenceLosesNothingTheBridgeHadNotTaken() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database, brokerPersistence: true)
        // A 1 MiB disk budget and InfluxDB away: the bridge fills its buffer and stops reading,
        // so the broker holds the rest of the backlog when it restarts.
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: influx.baseURL.absoluteString,
            extra: [
                "BUFFER_MAX_DISK_BYTES": "1048576", "MAPPING_MAX_PAYLOAD_BYTES": "4096",
                "MAPPING_MAX_ENCODED_BYTES": "16384",
            ]
        )
        try await bridge.start()
        await influx.stop()
        let first = try startPublisher(port: broker.port, devices: 50, count: 20_000, rate: 0)
        try await requireAllAcknowledged(first, count: 20_000)
        try await eventually("intake paused") { bridge.logText.contains("Buffer full: intake paused") }

        try await broker.restart()
        try await influx.start()
        // After the restart the bridge reconnects to its kept session and takes the backlog.
        let second = try startPublisher(port: broker.port, devices: 50, count: 5_000, rate: 0, firstSeq: 20_000)
        try await requireAllAcknowledged(second, count: 5_000)
        do {
            try await waitUntilLanded(influx, 25_000)
        } catch {
            Issue.record("landed \(try await landed(influx)); the bridge's log:\n\(bridge.logText)")
            throw error
        }
        #expect(try await landed(influx) == (25_000, 25_000))
        _ = await bridge.terminate()
    }

    @Test func aTornLastRecordIsSkippedAndNothingAcknowledgedIsLost() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        await influx.stop()
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: influx.baseURL.absoluteString,
            extra: ["SHUTDOWN_DRAIN": "1s"]
        )
        try await bridge.start()
        // Acknowledged means on disk: the bridge holds all 2,000 when the publisher returns.
        try await publish(port: broker.port, devices: 20, count: 2_000, extra: ["--timestamp", "epoch-ms"])
        let stopped = await bridge.terminate()
        #expect(stopped.status == 0)

        // A crash in the middle of writing one more record: its first half is in the file.
        let directory = bridge.stateDirectory + "/buffer"
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".log") }
            .sorted()
        let segment = URL(fileURLWithPath: directory).appendingPathComponent(try #require(segments.last))
        var bytes = [UInt8](try Data(contentsOf: segment))
        var offset = SegmentFormat.headerBytes
        var last: SegmentFormat.Record?
        while case .record(let record) = bytes.withUnsafeBytes({ SegmentFormat.scan($0, at: offset) }) {
            last = record
            offset = record.end
        }
        let record = try #require(last, "the newest segment holds no record")
        let tornLength = (record.end - record.offset) / 2
        bytes += bytes[record.offset..<(record.offset + tornLength)]
        try Data(bytes).write(to: segment)

        try await influx.start()
        try await bridge.start()
        try await waitUntilLanded(influx, 2_000)
        #expect(try await landed(influx) == (2_000, 2_000))
        #expect(bridge.logText.contains("Cut off a record torn by a crash mid-write"))
        #expect(bridge.logText.contains("buffer.torn_bytes=\(tornLength)"))
        _ = await bridge.terminate()
    }

    /// A disk that refuses writes at run time, made by lowering the running bridge's file-size
    /// limit with prlimit(1): the segment write that would cross 1 MiB fails with EFBIG, as a full
    /// disk fails with ENOSPC. Intake pauses with the PUBACKs held, resumes by itself once the
    /// limit is lifted, and nothing is lost.
    @Test func aDiskThatRefusesWritesPausesIntakeUntilItTakesThemAgain() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        let bridge = BridgeProcess(brokerPort: broker.port, influxURL: influx.baseURL.absoluteString)
        try await bridge.start()
        let pid = try #require(bridge.pid)
        // The soft limit only: lowering the hard one could not be undone without CAP_SYS_RESOURCE.
        func limitFileSize(_ limit: String) async throws {
            let (status, output) = try await runProgram("/usr/bin/prlimit", ["--pid", "\(pid)", "--fsize=\(limit):"])
            try #require(status == 0, "prlimit: \(output)")
        }
        // The bridge's log is far below 1 MiB, so only the segment file reaches the limit.
        try await limitFileSize("1048576")
        let publisher = try startPublisher(port: broker.port, devices: 50, count: 20_000, rate: 0)
        try await requireAllAcknowledged(publisher, count: 20_000)
        try await eventually("intake paused on the refused write") {
            bridge.logText.contains("Cannot write the durable buffer: intake paused, PUBACKs held")
        }
        try await Task.sleep(for: .seconds(1))
        let landedWhileRefused = try await landed(influx).distinct
        #expect(landedWhileRefused < 20_000)

        try await limitFileSize("unlimited")
        try await eventually("intake resumed") {
            bridge.logText.contains("The durable buffer takes writes again: intake resumed.")
        }
        try await waitUntilLanded(influx, 20_000)
        #expect(try await landed(influx) == (20_000, 20_000))
        #expect(await bridge.terminate().status == 0)
    }

    /// MQTT 5 brokers end a session at disconnect unless CONNECT carries a session expiry
    /// (REFERENCE.md §D.4): without the bridge's `never`, mosquitto would drop what was published
    /// while the bridge was stopped.
    @Test func mqtt5KeepsTheSessionAndItsQueueWhileTheBridgeIsStopped() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: influx.baseURL.absoluteString,
            extra: ["MQTT_PROTOCOL": "5"]
        )
        try await bridge.start()
        let clientID = try #require(bridge.environment["MQTT_CLIENT_ID"])
        // mosquitto logs each connection as "... as <id> (p<protocol>, c<clean start>, k<keepalive>)".
        #expect(broker.logText().contains("as \(clientID) (p5, c0,"), "\(broker.logText())")
        #expect(await bridge.terminate().status == 0)

        let whileStopped = try startPublisher(port: broker.port, devices: 20, count: 2_000, rate: 0)
        try await requireAllAcknowledged(whileStopped, count: 2_000)
        try await bridge.start()
        #expect(bridge.logText.contains("mqtt.session_present=true"), "\(bridge.logText)")
        try await waitUntilLanded(influx, 2_000, timeout: .seconds(60))
        #expect(try await landed(influx) == (2_000, 2_000))
        _ = await bridge.terminate()
    }

    /// The sink answers every write after 1 s (a slow InfluxDB, 1,000 points/s against 4,000
    /// messages/s), so SIGTERM finds a backlog.
    @Test func sigtermUnderLoadExitsInTimeAndARestartResendsOnlyWhatWasNotAccepted() async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        let accepted = AcceptedBodies(accepting: true)
        let sink = try FakeInfluxServer { accepted.answer($0, refusal: .noContent).delayed(by: .seconds(1)) }
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: sink.baseURL.absoluteString,
            api: "v2",
            extra: ["SHUTDOWN_DRAIN": "2s", "INFLUXDB_BATCH_SIZE": "1000"]
        )
        try await bridge.start()
        let publisher = try startPublisher(port: broker.port, devices: 100, count: 20_000, rate: 4_000)
        try await Task.sleep(for: .seconds(2))
        let stopped = await bridge.terminate()
        #expect(stopped.status == 0)
        // The drain (2 s) plus at most one request in flight (5 s timeout) and the intake's stop.
        #expect(stopped.took < .seconds(8), "took \(stopped.took)")
        #expect(bridge.logText.contains("the rest stay in the durable buffer"))
        // A clean DISCONNECT after the last PUBACKs: a reset connection would lose them in the broker.
        let clientID = try #require(bridge.environment["MQTT_CLIENT_ID"])
        #expect(broker.logText().contains("Received DISCONNECT from \(clientID)"))
        let acceptedBefore = sequenceNumbers(accepted.lines)
        let beforeRestart = Set(acceptedBefore)

        try await bridge.start()
        try await requireAllAcknowledged(publisher, count: 20_000)
        try await eventually(timeout: .seconds(120), "20,000 sequence numbers accepted") {
            Set(sequenceNumbers(accepted.lines)).count == 20_000
        }
        let all = sequenceNumbers(accepted.lines)
        let afterRestart = all.dropFirst(acceptedBefore.count)
        #expect(!beforeRestart.isEmpty && beforeRestart.count < 20_000)
        #expect(
            Set(afterRestart).isDisjoint(with: beforeRestart),
            "sent again: \(Set(afterRestart).intersection(beforeRestart).sorted()) of \(acceptedBefore.count); \(bridge.logText)"
        )
        let twice = Dictionary(all.map { ($0, 1) }, uniquingKeysWith: +).filter { $0.value > 1 }.keys.sorted()
        #expect(
            all.count == 20_000,
            "sent twice: \(twice) (\(acceptedBefore.count) before the restart); \(bridge.logText)"
        )
        _ = await bridge.terminate()
    }
}

private func sequenceNumbers(_ lines: [Substring]) -> [Substring] {
    lines.compactMap { $0.split(separator: "seq=").last?.split(separator: " ").first }
}
