// iotflow-bridge: issue 10, types: a value from one device never changes how another device's values
// are stored. The built bridge as a child process, real mosquitto and real InfluxDB 1.6.7, with
// sequence-numbered background traffic from other devices counted exactly in every test.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import BridgeTestSupport
import Foundation
import Testing

/// The refused-message records of a bridge and the file's size in bytes.
private func refusedMessages(_ bridge: BridgeProcess) -> (records: [DeadLetter], bytes: Int) {
    let text =
        (try? String(contentsOfFile: bridge.stateDirectory + "/dead-letters.refused.jsonl", encoding: .utf8)) ?? ""
    return (text.split(separator: "\n").compactMap { DeadLetter(jsonLine: String($0)) }, text.utf8.count)
}

/// The counters of the bridge's last Summary line (`strings_left_out=3` → 3), logged at stop.
private func finalSummary(_ bridge: BridgeProcess) -> [String: Int] {
    let summary = bridge.logText.split(separator: "\n").last { $0.contains(" Summary.") } ?? ""
    var counters: [String: Int] = [:]
    for pair in summary.split(separator: " ") {
        let parts = pair.split(separator: "=", maxSplits: 1)
        if parts.count == 2, let value = Int(parts[1]) { counters[String(parts[0])] = value }
    }
    return counters
}

/// The temperature probe device `n` sends, as JSON: a whole number (`20`, an integer literal) for
/// even `n`, else a half (`21.5`).
private func probeReading(_ device: Int) -> String {
    device % 2 == 0 ? "\(20 + device)" : "\(20 + device).5"
}

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(5)))
struct IsolationTypeTests {
    private let database = "iotflow"
    /// Background traffic: 5,000 messages from 50 devices at 1,000/s, about 5 s.
    private let background = (devices: 50, count: 5_000, rate: 1_000)
    /// The bridge idles at about 40 MB; 128 MiB leaves room for a schema read, never for a leak.
    private let peakRSSBound = 128 * 1024 * 1024

    /// Requires every background message acknowledged by the broker, then every one stored in
    /// `environment` exactly once: as many distinct `seq` values as points.
    private func requireBackgroundLanded(_ publisher: ManagedProcess, _ influx: InfluxDB1Server) async throws {
        let count = background.count
        try await requireAllAcknowledged(publisher, count: count)
        func landed() async throws -> (distinct: Int, points: Int) {
            let distinct = try await influx.query("SELECT COUNT(DISTINCT(seq)) FROM environment", database: database)
            let points = try await influx.count(measurement: "environment", field: "seq", database: database)
            return (Int(distinct.first?.values.first?.last?.int ?? 0), points)
        }
        try await eventually(timeout: .seconds(60), "\(count) background points in InfluxDB") {
            try await landed().distinct >= count
        }
        #expect(try await landed() == (count, count))
    }

    /// The issue's measurement: one device sent `{"temperature":"hot"}` right after start, and the
    /// numeric temperatures of the 20 devices after it were all refused as `type_conflict`.
    @Test func oneDevicesTextAndBooleansNeverDecideTheTypeForTheFleet() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        let bridge = BridgeProcess(brokerPort: broker.port, influxURL: influx.baseURL.absoluteString)
        try await bridge.start()
        let poison = "iotflow/devices/dev-poison/telemetry/environment"
        for payload in [
            #"{"temperature": "hot"}"#, #"{"temperature": true, "door_open": false}"#,
            #"{"temperature": "on fire", "humidity": "n/a", "rssi": -70}"#,
        ] {
            try await publishRaw(port: broker.port, topic: poison, payload: payload)
        }
        let publisher = try startPublisher(
            port: broker.port,
            devices: background.devices,
            count: background.count,
            rate: background.rate
        )
        // Whole numbers among them: an integer-looking reading must not become an integer field either.
        for device in 0..<20 {
            try await publishRaw(
                port: broker.port,
                topic: "iotflow/devices/probe-\(device)/telemetry/environment",
                payload: "{\"temperature\": \(probeReading(device))}"
            )
        }
        try await requireBackgroundLanded(publisher, influx)
        let probes = "SELECT temperature FROM environment WHERE device_id =~ /^probe-/"
        try await eventually("the 20 probe readings in InfluxDB") {
            try await influx.query(probes, database: database).first?.values.count == 20
        }

        #expect(bridge.isRunning)
        let peakRSS = try #require(bridge.peakRSSBytes)
        let letters = refusedMessages(bridge)
        #expect(await bridge.terminate().status == 0)
        let summary = finalSummary(bridge)

        let stored = try await influx.query(probes, database: database).first?.column("temperature") ?? []
        let sent = (0..<20).compactMap { Double(probeReading($0)) }
        #expect(Set(stored.compactMap(\.double)) == Set(sent))
        let types = try await influx.fieldTypes(measurement: "environment", database: database)
        #expect(types["temperature"] == "float" && types["door_open"] == "float", "\(types)")
        #expect(types.values.allSatisfy { $0 == "float" }, "\(types)")
        let poisonRows = try await influx.query(
            "SELECT temperature, door_open FROM environment WHERE device_id = 'dev-poison'",
            database: database
        )
        #expect(poisonRows.first?.column("temperature").compactMap(\.double) == [1], "true is 1.0")
        #expect(poisonRows.first?.column("door_open").compactMap(\.double) == [0], "false is 0.0")
        // Nothing went to InfluxDB that it could refuse, and nothing the bridge could store was refused.
        #expect(!influx.logText().contains(" 400 "), "InfluxDB answered 400")
        #expect(summary["points_rejected"] == 0 && summary["strings_left_out"] == 3)
        // Only the message whose one value was text stored nothing: one dead-letter record, a few hundred bytes.
        #expect(letters.records.map(\.reason) == ["no_fields"] && letters.records.first?.device == "dev-poison")
        #expect(letters.bytes <= 1_024, "dead-letter bytes: \(letters.bytes)")
        #expect(peakRSS <= peakRSSBound, "peak RSS \(peakRSS) bytes")
        #expect(bridge.logText.contains("Text left out"))
    }

    /// A measurement already in InfluxDB with `status` a string and `count` an integer (written by
    /// another writer before the bridge starts): devices sending numbers get the schema's types.
    @Test func fieldsAlreadyInInfluxDBKeepTheirTypes() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        // In the same shard (a week of time) as the devices' readings below, where the types hold.
        try await influx.write(
            #"device_state,device_id=legacy status="ok",count=5i 1735732799000000000"#,
            database: database
        )
        let bridge = BridgeProcess(brokerPort: broker.port, influxURL: influx.baseURL.absoluteString)
        try await bridge.start()
        #expect(bridge.logText.contains("Read the field types InfluxDB holds"), "\(bridge.logText)")
        let publisher = try startPublisher(
            port: broker.port,
            devices: background.devices,
            count: background.count,
            rate: background.rate
        )
        let readings = [
            #"{"status": 1, "count": 7, "ts": 1735732800000}"#,
            #"{"status": 2.5, "count": 8.0, "ts": 1735732801000}"#,
            #"{"status": true, "count": "9", "ts": 1735732802000}"#,
            #"{"status": "idle", "count": 1.5, "ts": 1735732803000}"#,
        ]
        for (device, payload) in readings.enumerated() {
            try await publishRaw(
                port: broker.port,
                topic: "iotflow/devices/state-\(device)/telemetry/device_state",
                payload: payload
            )
        }
        try await requireBackgroundLanded(publisher, influx)
        let statuses = "SELECT status, count FROM device_state WHERE device_id =~ /^state-/"
        try await eventually("the 4 device_state readings in InfluxDB") {
            try await influx.query(statuses, database: database).first?.values.count == 4
        }

        #expect(bridge.isRunning)
        let peakRSS = try #require(bridge.peakRSSBytes)
        let letters = refusedMessages(bridge)
        #expect(await bridge.terminate().status == 0)
        let summary = finalSummary(bridge)

        let rows = try await influx.query(statuses, database: database).first
        #expect(rows?.column("status").compactMap(\.string) == ["1", "2.5", "true", "idle"])
        #expect(rows?.column("count").map(\.int) == [7, 8, 9, nil])
        #expect(
            try await influx.fieldTypes(measurement: "device_state", database: database) == [
                "status": "string", "count": "integer",
            ]
        )
        #expect(!influx.logText().contains(" 400 "), "InfluxDB answered 400")
        #expect(summary["points_rejected"] == 0 && summary["write_errors"] == 0)
        // 1.5 for an integer field: refused by the bridge, one record naming the field.
        #expect(letters.records.map(\.reason) == ["type_conflict"])
        #expect(letters.records.first?.refused == [MappingRefusal(.typeConflict, field: "count")])
        #expect(letters.bytes <= 1_024, "dead-letter bytes: \(letters.bytes)")
        #expect(peakRSS <= peakRSSBound, "peak RSS \(peakRSS) bytes")
    }

    /// VictoriaMetrics keeps no field types: the bridge says so once and types by the data.
    @Test func aTargetWithoutFieldTypesIsLoggedOnceAndTrafficFlows() async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        let victoria = try VictoriaMetricsServer()
        try await victoria.start()
        let bridge = BridgeProcess(brokerPort: broker.port, influxURL: victoria.baseURL.absoluteString)
        try await bridge.start()
        try await publish(port: broker.port, devices: 10, count: 1_000, extra: ["--timestamp", "epoch-ms"])
        var samples = 0
        try await eventually(timeout: .seconds(30), "1,000 samples in VictoriaMetrics") {
            try await victoria.forceFlush()
            samples = try await victoria.export(match: "{__name__=\"environment_seq\"}").map(\.values.count).reduce(
                0,
                +
            )
            return samples >= 1_000
        }
        #expect(samples == 1_000 && bridge.isRunning)
        #expect(await bridge.terminate().status == 0)
        #expect(bridge.logText.components(separatedBy: "keeps no field types").count - 1 == 1, "\(bridge.logText)")
        #expect(!bridge.logText.contains("Cannot read the field types"))
    }
}
