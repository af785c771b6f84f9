// iotflow-bridge: `run --dry-run` on the built binary: line protocol on stdout, nothing written.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Testing

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(2)))
struct DryRunTests {
    /// A real broker; the InfluxDB URL points at a sink that must see no request at all (neither a
    /// write nor a schema read), and the durable buffer's directory must not be created: a dry run
    /// must not take points from a buffer InfluxDB never got.
    @Test func aDryRunPrintsEachMessagesLinesAndTouchesNeitherInfluxDBNorTheBuffer() async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        let sink = try FakeInfluxServer()
        defer { sink.stop() }
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: sink.baseURL.absoluteString,
            arguments: ["--dry-run"],
            extra: ["BUFFER_DURABLE": "true"]
        )
        try await bridge.start()

        try await publishRaw(
            port: broker.port,
            topic: "iotflow/devices/dev-1/telemetry/environment",
            payload: #"{"temperature": 21, "label": "a b", "ts": 1764583200000}"#
        )
        try await publishRaw(
            port: broker.port,
            topic: "iotflow/devices/dev-2/telemetry/power",
            payload: #"{"watts": 50.5}"#
        )
        try await eventually(timeout: .seconds(20), "both messages printed") {
            bridge.logText.contains("power,device_id=dev-2 watts=50.5 ")
                && bridge.logText.contains("environment,device_id=dev-1 temperature=21 ")
        }
        #expect(await bridge.terminate().status == 0)
        #expect(sink.requests.isEmpty, "\(sink.requests.map(\.path))")
        #expect(!FileManager.default.fileExists(atPath: bridge.bufferDirectory))
    }
}
