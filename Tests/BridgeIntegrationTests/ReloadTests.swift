// iotflow-bridge: SIGHUP on the running binary: a rewritten batch_size shapes the next requests,
// and the log names the changed keys it applied and the ones that need a restart.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Glibc
import Testing

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(3)))
struct ReloadTests {
    /// The `batch_size` and `breaker.failures` the file sets; the rest comes from the environment,
    /// which cannot change under a running process.
    private func writeConfiguration(_ path: String, batchSize: Int, breakerFailures: Int) throws {
        try "influxdb:\n  batch_size: \(batchSize)\nbreaker:\n  failures: \(breakerFailures)\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Points per write request, in the order the sink received them.
    private func pointsPerWrite(_ sink: FakeInfluxServer) -> [Int] {
        sink.requests.filter { $0.path == "/write" }.map(\.lines.count)
    }

    @Test func aBatchSizeChangedBySIGHUPShapesTheNextRequests() async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        let sink = try FakeInfluxServer()
        let file = temporaryPath("iotflow-reload", extension: "yaml")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try writeConfiguration(file, batchSize: 10, breakerFailures: 5)
        // An hour between timed flushes: every request is a full batch.
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: sink.baseURL.absoluteString,
            configFile: file,
            extra: ["INFLUXDB_FLUSH_INTERVAL": "1h"]
        )
        try await bridge.start()

        try await publish(port: broker.port, devices: 5, count: 50)
        try await eventually(timeout: .seconds(30), "five writes") { pointsPerWrite(sink).count >= 5 }
        #expect(pointsPerWrite(sink) == Array(repeating: 10, count: 5))

        try writeConfiguration(file, batchSize: 25, breakerFailures: 7)
        let pid = try #require(bridge.pid)
        #expect(kill(pid, SIGHUP) == 0)
        try await eventually(timeout: .seconds(30), "the writer to take the reloaded batch size") {
            bridge.logText.contains("Batching with the reloaded influxdb settings from the next batch.")
        }
        try await publish(port: broker.port, devices: 5, count: 50, firstSeq: 50)
        try await eventually(timeout: .seconds(30), "seven writes") { pointsPerWrite(sink).count >= 7 }
        #expect(pointsPerWrite(sink) == Array(repeating: 10, count: 5) + [25, 25])

        let log = bridge.logText
        #expect(log.contains("Reloaded the configuration. config.applied=influxdb.batch_size\n"), "\(log)")
        #expect(log.contains("Changes to these keys take effect after a restart. config.keys=breaker.failures\n"))
        #expect(await bridge.terminate().status == 0)
    }
}
