// iotflow-bridge: one device must never stall, poison or crash the bridge for the rest of the
// fleet. The built bridge runs against real mosquitto and InfluxDB 1.6.7 while one device misbehaves
// and a hundred others publish sequence-numbered readings, every one of which must land.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import BridgeTestSupport
import Foundation
import Testing

/// Publishes `payload` from a file with mosquitto_pub (QoS 1), optionally retained.
private func publishBytes(port: UInt16, topic: String, _ payload: [UInt8], retain: Bool = false) async throws {
    let file = temporaryPath("payload")
    try Data(payload).write(to: URL(fileURLWithPath: file))
    defer { try? FileManager.default.removeItem(atPath: file) }
    let (status, output) = try await runProgram(
        "/usr/bin/mosquitto_pub",
        ["-h", "127.0.0.1", "-p", "\(port)", "-q", "1", "-t", topic, "-f", file] + (retain ? ["-r"] : [])
    )
    try #require(status == 0, "mosquitto_pub failed: \(output)")
}

/// The records of a dead-letter file, and its size in bytes.
private func records(_ path: String) -> (letters: [DeadLetter], bytes: Int) {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return (text.split(separator: "\n").compactMap { DeadLetter(jsonLine: String($0)) }, text.utf8.count)
}

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(5)))
struct IsolationTests {
    private let database = "iotflow"
    private static let mebibyte = 1024 * 1024

    /// Distinct `seq` values the background fleet landed in `environment`.
    private func landed(_ influx: InfluxDB1Server) async throws -> Int {
        let distinct = try await influx.query("SELECT COUNT(DISTINCT(seq)) FROM environment", database: database)
        return Int(distinct.first?.values.first?.last?.int ?? 0)
    }

    /// Waits for the background publisher to have every one of its `published` messages
    /// acknowledged, then for `count` readings in all in InfluxDB, each `seq` exactly once.
    private func requireFleetLanded(
        _ publisher: ManagedProcess,
        _ count: Int,
        _ influx: InfluxDB1Server,
        published: Int? = nil
    ) async throws {
        try await requireAllAcknowledged(publisher, count: published ?? count)
        try await eventually(timeout: .seconds(120), "\(count) distinct seq in InfluxDB") {
            try await landed(influx) >= count
        }
        #expect(try await landed(influx) == count)
        #expect(try await influx.count(measurement: "environment", field: "seq", database: database) == count)
    }

    @Test func hostilePayloadsCostOneRecordEachAndNeverHoldUpTheFleet() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        let bridge = BridgeProcess(brokerPort: broker.port, influxURL: influx.baseURL.absoluteString)
        try await bridge.start()
        let fleet = try startPublisher(port: broker.port, devices: 100, count: 5_000, rate: 1_000)

        let topic = "iotflow/devices/evil/telemetry/junk"
        // The shape measured in the issue: `[`, 4,000 tabs, then `1,1,1,…` to 64 KiB (~30,000 elements).
        var tabsAndOnes = Array("[".utf8) + [UInt8](repeating: 0x09, count: 4000)
        while tabsAndOnes.count < 65_530 { tabsAndOnes += Array("1,".utf8) }
        tabsAndOnes += Array("1]".utf8)
        let hostile: [[UInt8]] = [
            tabsAndOnes,
            // 1,000 readings, each with nothing but a NaN: 1,000 refused parts in one message.
            Array(("[" + Array(repeating: #"{"v":"NaN"}"#, count: 1000).joined(separator: ",") + "]").utf8),
            // More readings than max_points_per_message.
            Array(("[" + Array(repeating: #"{"v":1}"#, count: 5000).joined(separator: ",") + "]").utf8),
            // 250 values refused one by one in an otherwise empty point.
            Array(("{" + (0..<250).map { "\"k\($0)\":1e999" }.joined(separator: ",") + "}").utf8),
            // Control bytes that JSON escaping would multiply by six.
            [UInt8](repeating: 0x01, count: 60_000),
        ]
        for round in 0..<5 {
            for payload in hostile { try await publishBytes(port: broker.port, topic: topic + "\(round)", payload) }
        }
        try await requireFleetLanded(fleet, 5_000, influx)

        #expect(bridge.isRunning, "\(bridge.logText.suffix(2000))")
        let peak = try #require(bridge.peakRSSBytes)
        #expect(peak < 128 * Self.mebibyte, "peak RSS \(peak) bytes")
        // One record per hostile message, the payload held once: at most twice 64 KiB plus 8 KiB each.
        // The fleet can land before the bridge has read the last hostile message: wait for its record.
        let refusedPath = bridge.stateDirectory + "/dead-letters.refused.jsonl"
        try await eventually(timeout: .seconds(30), "a record per hostile message") {
            records(refusedPath).letters.count >= 5 * hostile.count
        }
        let (letters, bytes) = records(refusedPath)
        #expect(letters.count == 5 * hostile.count, "\(letters.map(\.reason))")
        #expect(bytes <= letters.count * (2 * 65_536 + 8192), "\(bytes) bytes of refused-message records")
        print("hostile payloads: \(letters.count) records, \(bytes) bytes; bridge peak RSS \(peak / 1024) KiB")
        #expect(letters.allSatisfy { $0.device == "evil" && $0.refused.count <= DeadLetter.maxListedParts })
        #expect(letters.contains { $0.reason == "too_many_points" })
        #expect(letters.contains { $0.refused.count == 32 && $0.refusedMore == 1000 - 32 })
        // Nothing from the fleet was refused, and the rejected-lines file has nothing either.
        #expect(records(bridge.stateDirectory + "/dead-letters.jsonl").letters.isEmpty)
        // The device's log lines are rate-limited: 3 a minute.
        let lines = bridge.logText.split(separator: "\n").filter { $0.contains("device_id=evil") }
        #expect(lines.count <= 3, "\(lines.count) log lines about the hostile device")
        _ = await bridge.terminate()
    }

    @Test func aMessageThatWouldOutgrowTheBufferIsRefusedAndIntakeGoesOn() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: influx.baseURL.absoluteString,
            extra: [
                "BUFFER_MAX_BYTES": "\(Self.mebibyte)", "BUFFER_MAX_DISK_BYTES": "\(2 * Self.mebibyte)",
                "INFLUXDB_MAX_BATCH_BYTES": "262144", "MAPPING_MAX_POINTS_PER_MESSAGE": "100000",
            ]
        )
        try await bridge.start()
        let fleet = try startPublisher(port: broker.port, devices: 100, count: 3_000, rate: 1_000)
        // Longest device id and measurement levels repeated on 8,000 tiny readings: 3.3 MB of line
        // protocol from a 64 KB payload, three times the whole buffer. It used to end the intake
        // loop at every start.
        let topic =
            "iotflow/devices/\(String(repeating: "e", count: 128))/telemetry/\(String(repeating: "m", count: 256))"
        let burst = Array(("[" + Array(repeating: #"{"t":1}"#, count: 8000).joined(separator: ",") + "]").utf8)
        for _ in 0..<3 { try await publishBytes(port: broker.port, topic: topic, burst) }
        try await requireFleetLanded(fleet, 3_000, influx)
        #expect(bridge.isRunning)
        let letters = records(bridge.stateDirectory + "/dead-letters.refused.jsonl").letters
        #expect(letters.map(\.reason) == Array(repeating: "encoded_too_large", count: 3))
        let peak = try #require(bridge.peakRSSBytes)
        print("a message larger than the buffer: bridge peak RSS \(peak / 1024) KiB")
        #expect(peak < 128 * Self.mebibyte, "peak RSS \(peak) bytes")

        // The refused messages were acknowledged: a restart neither sees them again nor stalls.
        _ = await bridge.terminate()
        try await bridge.start()
        let more = try startPublisher(port: broker.port, devices: 100, count: 1_000, rate: 1_000, firstSeq: 3_000)
        try await requireFleetLanded(more, 4_000, influx, published: 1_000)
        #expect(records(bridge.stateDirectory + "/dead-letters.refused.jsonl").letters.count == 3)
        _ = await bridge.terminate()
    }

    @Test func qos2IsRefusedWithTheDurableBufferAndQoS0Warns() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        let binary = try Integration.product("iotflow-bridge")
        func checkConfig(_ environment: [String: String]) async throws -> (Int32, String) {
            let variables = environment.map { "\($0.key)=\($0.value)" }
            return try await runProgram("/usr/bin/env", variables + [binary, "check-config"])
        }
        let (refused, refusal) = try await checkConfig(["MQTT_QOS": "2"])
        #expect(refused == 1 && refusal.contains("mqtt.qos") && refusal.contains("PUBREC"), "\(refusal)")
        let (warned, warning) = try await checkConfig(["MQTT_QOS": "0"])
        #expect(warned == 0 && warning.contains("warning: mqtt.qos"), "\(warning)")
        #expect(try await checkConfig(["MQTT_QOS": "2", "BUFFER_DURABLE": "false"]).0 == 0)

        // The daemon itself refuses to start with it (exit 78, EX_CONFIG) ...
        let (status, output) = try await runProgram("/usr/bin/env", ["MQTT_QOS=2", binary, "run"])
        #expect(status == 78 && output.contains("mqtt.qos"), "\(output)")
        // ... and with the memory buffer QoS 2 carries the fleet's readings end to end.
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: influx.baseURL.absoluteString,
            extra: ["MQTT_QOS": "2", "BUFFER_DURABLE": "false"]
        )
        try await bridge.start()
        let fleet = try startPublisher(port: broker.port, devices: 100, count: 2_000, rate: 1_000)
        try await requireFleetLanded(fleet, 2_000, influx)
        #expect(bridge.isRunning)
        _ = await bridge.terminate()
    }

    /// 3.1.1 gets the retained messages at every subscribe and skips them (counted), or under
    /// `store` keeps them once per run of the bridge (three runs here); MQTT 5 asks the broker for
    /// none (`skip`) or for those of a new subscription only (`store`: once per session).
    @Test(arguments: [("3.1.1", "skip", 0, 20), ("3.1.1", "store", 3, 0), ("5", "skip", 0, 0), ("5", "store", 1, 0)])
    func retainedMessagesAreStoredAtMostOnce(
        protocolVersion: String,
        policy: String,
        stored: Int,
        skippedPerStart: Int
    ) async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        // Retained readings without device timestamps: each copy the broker hands out would be a
        // new point at a new intake time.
        for index in 0..<20 {
            try await publishBytes(
                port: broker.port,
                topic: "iotflow/devices/kept-\(index)/telemetry/status",
                Array("{\"level\": \(index)}".utf8),
                retain: true
            )
        }
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: influx.baseURL.absoluteString,
            extra: ["MQTT_PROTOCOL": protocolVersion, "MQTT_RETAINED": policy]
        )
        // Three subscriptions: the first start, a restart, and another restart.
        for round in 0..<3 {
            try await bridge.start()
            let fleet = try startPublisher(
                port: broker.port,
                devices: 100,
                count: 1_000,
                rate: 1_000,
                firstSeq: round * 1_000
            )
            try await requireFleetLanded(fleet, (round + 1) * 1_000, influx, published: 1_000)
            #expect(bridge.isRunning)
            let (status, _) = await bridge.terminate()
            #expect(status == 0)
        }
        #expect(try await influx.count(measurement: "status", field: "level", database: database) == 20 * stored)
        // Each start's final summary counts what it skipped.
        let summaries = bridge.logText.components(separatedBy: "retained_skipped=\(skippedPerStart) ").count - 1
        #expect(summaries == 3, "\(bridge.logText.split(separator: "\n").filter { $0.contains("Summary") })")
    }
}
