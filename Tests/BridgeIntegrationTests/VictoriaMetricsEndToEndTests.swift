// iotflow-bridge: MQTT → bridge → real VictoriaMetrics over /api/v2/write.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import BridgeTestSupport
import Foundation
import InMemoryLogging
import Logging
import Testing

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(5)))
struct VictoriaMetricsEndToEndTests {
    @Test func twentyThousandMessagesLandThroughTheV2API() async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        let victoria = try VictoriaMetricsServer()
        try await victoria.start()
        let influx = InfluxConfiguration(
            api: .v2,
            url: victoria.baseURL.absoluteString,
            org: "iotflow",
            bucket: "telemetry"
        )
        let bridge = try await BridgeUnderTest(testConfiguration(brokerPort: broker.port, influx: influx))

        try await publish(port: broker.port, devices: 200, count: 20_000)
        try await eventually("20,000 points written") { bridge.counters.pointsWritten == 20_000 }
        try await bridge.stop()

        // VictoriaMetrics stores each field as its own series, <measurement>_<field>, per device.
        // force_flush does not make rows still in its insert buffers searchable at once (seen
        // here: 18,844 of 20,000 visible, all of them 0.4 s later), so poll, bounded.
        var series: [VMSeries] = []
        try await eventually(timeout: .seconds(15), "all 20,000 samples visible in VictoriaMetrics") {
            try await victoria.forceFlush()
            series = try await victoria.export(match: "{__name__=\"environment_seq\"}")
            return series.map(\.values.count).reduce(0, +) >= 20_000
        }
        #expect(series.count == 200)
        let sequenceNumbers = Set(series.flatMap(\.values))
        let samples = series.map(\.values.count).reduce(0, +)
        #expect(samples == 20_000, "a point was stored twice")
        #expect(sequenceNumbers.count == 20_000 && sequenceNumbers.min() == 0 && sequenceNumbers.max() == 19_999)
        #expect(series.allSatisfy { $0.metric["device_id"]?.hasPrefix("dev-") == true })
        #expect(bridge.counters.writeErrors == 0)
    }
}
