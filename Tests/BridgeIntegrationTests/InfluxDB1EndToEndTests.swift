// iotflow-bridge: MQTT → bridge → real InfluxDB 1.6.7 over /write.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import BridgeTestSupport
import Foundation
import InMemoryLogging
import Logging
import Testing

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(5)))
struct InfluxDB1EndToEndTests {
    private let database = "iotflow"

    private func v1(_ influx: InfluxDB1Server) -> InfluxConfiguration {
        InfluxConfiguration(api: .v1, url: influx.baseURL.absoluteString, database: database)
    }

    @Test func twentyThousandMessagesFromTwoHundredDevicesAllLandAsFloats() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        let bridge = try await BridgeUnderTest(testConfiguration(brokerPort: broker.port, influx: v1(influx)))

        try await publish(port: broker.port, devices: 200, count: 20_000)
        // One device sends an integer, then a float, then an integer for the same field.
        for reading in ["50", "50.5", "51"] {
            try await publishRaw(
                port: broker.port,
                topic: "iotflow/devices/dev-conflict/telemetry/power",
                payload: "{\"watts\": \(reading)}"
            )
        }
        try await eventually("20,003 points written") { bridge.counters.pointsWritten == 20_003 }
        try await bridge.stop()

        #expect(try await influx.count(measurement: "environment", field: "seq", database: database) == 20_000)
        let distinct = try await influx.query("SELECT COUNT(DISTINCT(seq)) FROM environment", database: database)
        #expect(distinct.first?.values.first?.last?.int == 20_000)
        let devices = try await influx.query(
            "SHOW TAG VALUES FROM environment WITH KEY = device_id",
            database: database
        )
        #expect(devices.first?.values.count == 200)
        let types = try await influx.fieldTypes(measurement: "environment", database: database)
        #expect(!types.isEmpty && types.values.allSatisfy { $0 == "float" }, "\(types)")
        #expect(try await influx.fieldTypes(measurement: "power", database: database) == ["watts": "float"])
        let watts = try await influx.query("SELECT watts FROM power", database: database)
        #expect(watts.first?.column("watts").compactMap(\.double) == [50, 50.5, 51])
        let counters = bridge.counters
        #expect(counters.writeErrors == 0 && counters.pointsRejected == 0 && counters.pointsDropped == 0)
        #expect(!influx.logText().contains(" 400 "), "InfluxDB answered 400")
    }

    /// With the durable buffer (the default): the backlog waits on disk and drains afterwards.
    @Test func influxDBStoppedForSixtySecondsLosesNothing() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        let bridge = try await BridgeUnderTest(testConfiguration(brokerPort: broker.port, influx: v1(influx)))

        // 15,000 messages over ~75 s, so the outage falls in the middle of the run.
        async let published: Void = publish(port: broker.port, devices: 50, count: 15_000, rate: 200)
        try await eventually("first points written") { bridge.counters.pointsWritten > 0 }
        await influx.stop()
        try await Task.sleep(for: .seconds(60))
        let errorsDuringOutage = bridge.counters.writeErrors
        try await influx.start()
        try await published
        try await eventually("15,000 points written") { bridge.counters.pointsWritten == 15_000 }
        try await bridge.stop()

        #expect(errorsDuringOutage > 0, "the outage was not noticed")
        #expect(try await influx.count(measurement: "environment", field: "seq", database: database) == 15_000)
        let distinct = try await influx.query("SELECT COUNT(DISTINCT(seq)) FROM environment", database: database)
        #expect(distinct.first?.values.first?.last?.int == 15_000)
        #expect(bridge.messages(atLeast: .notice).contains { $0.hasSuffix("InfluxDB accepts writes again.") })
    }
}
