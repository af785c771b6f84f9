// iotflow-bridge: messy device payloads through MQTT and the bridge into real InfluxDB 1.6.7.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import BridgeTestSupport
import Foundation
import Testing

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(5)))
struct MappingEndToEndTests {
    private let database = "iotflow"

    private func configuration(_ broker: MosquittoBroker, _ influx: InfluxDB1Server) -> BridgeConfiguration {
        testConfiguration(
            brokerPort: broker.port,
            influx: InfluxConfiguration(api: .v1, url: influx.baseURL.absoluteString, database: database)
        )
    }

    private func deadLetters(_ configuration: BridgeConfiguration) throws -> [DeadLetter] {
        let text = (try? String(contentsOfFile: configuration.deadLetters.resolvedRefusedPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { DeadLetter(jsonLine: String($0)) }
    }

    @Test func readingsLandAsFloatsAndUntypedTextIsLeftOutWithoutA400() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        let configuration = configuration(broker, influx)
        let bridge = try await BridgeUnderTest(configuration)
        let topic = "iotflow/devices/dev-mixed/telemetry/power"

        // One device, one field: an integer, a float, two numeric strings, a boolean, text.
        for reading in ["50", "50.5", "\"51\"", "\" 52.0 \"", "true", "\"n/a\""] {
            try await publishRaw(port: broker.port, topic: topic, payload: "{\"watts\": \(reading)}")
        }
        try await eventually("5 points written and the text left out") {
            bridge.counters.pointsWritten == 5 && bridge.counters.stringsLeftOut == 1
        }
        try await bridge.stop()

        let watts = try await influx.query("SELECT watts FROM power", database: database)
        #expect(watts.first?.column("watts").compactMap(\.double) == [50, 50.5, 51, 52, 1])
        #expect(try await influx.fieldTypes(measurement: "power", database: database) == ["watts": "float"])
        // The text was the message's only value, so the message stored nothing: one record says so.
        let refused = try deadLetters(configuration)
        #expect(refused.count == 1, "\(refused)")
        #expect(refused.first?.reason == "no_fields" && refused.first?.topic == topic)
        #expect(refused.first?.device == "dev-mixed")
        #expect(refused.first?.payload.map { String(decoding: $0, as: UTF8.self) } == "{\"watts\": \"n/a\"}")
        // InfluxDB never answered 400: nothing rejected, no failed write, no 400 in its request log.
        let counters = bridge.counters
        #expect(counters.pointsRejected == 0 && counters.writeErrors == 0)
        #expect(!influx.logText().contains(" 400 "), "InfluxDB answered 400")
    }

    @Test func aBurstOfAHundredBufferedReadingsLandsAtTheirOwnTimes() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        let bridge = try await BridgeUnderTest(configuration(broker, influx))

        // An ESP32 back online flushes 100 readings taken one second apart, the last a minute ago.
        let lastMilliseconds = (Int64(Date().timeIntervalSince1970) - 60) * 1000
        let times = (0..<100).map { lastMilliseconds - Int64(99 - $0) * 1000 }
        let readings = times.enumerated().map { "{\"seq\": \($0.offset), \"ts\": \($0.element)}" }
        try await publishRaw(
            port: broker.port,
            topic: "iotflow/devices/dev-burst/telemetry/burst",
            payload: "[\(readings.joined(separator: ","))]"
        )
        try await eventually("100 points written") { bridge.counters.pointsWritten == 100 }
        try await bridge.stop()

        let rows = try await influx.query("SELECT seq FROM burst", database: database)
        #expect(rows.first?.column("time").compactMap(\.int) == times.map { $0 * 1_000_000 })
        #expect(rows.first?.column("seq").compactMap(\.double) == (0..<100).map(Double.init))
        #expect(
            bridge.counters.timestampsReplaced == 0 && bridge.counters.messagesRefused.values.allSatisfy { $0 == 0 }
        )
    }
}
