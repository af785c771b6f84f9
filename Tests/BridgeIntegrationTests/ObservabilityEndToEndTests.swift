// iotflow-bridge: /metrics, /health and /devices answers against a real broker and InfluxDB 1.6.7.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import BridgeTestSupport
import Foundation
import Testing

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(5)))
struct ObservabilityEndToEndTests {
    private let database = "iotflow"

    @Test func metricsHealthAndDevicesTellWhatHappened() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        var configuration = testConfiguration(
            brokerPort: broker.port,
            influx: InfluxConfiguration(api: .v1, url: influx.baseURL.absoluteString, database: database)
        )
        configuration.mapping.staleAfter = .seconds(2)
        let bridge = try await BridgeUnderTest(configuration, serveHTTP: true)
        let http = try RawHTTPConnection(port: try #require(bridge.httpPort))
        try http.request("/ready")
        #expect(try await http.reply().status == 200)

        // 10,000 messages from 20 devices, 500 each.
        try await publish(port: broker.port, devices: 20, count: 10_000)
        try await eventually("10,000 points written") { bridge.counters.pointsWritten == 10_000 }
        try http.request("/metrics")
        let text = try await http.reply().body
        let check = try promtoolCheck(text)
        #expect(check.status == 0, "promtool: \(check.output)")
        let stored = try await influx.count(measurement: "environment", field: "seq", database: database)
        #expect(stored == 10_000)
        #expect(value("iotflow_bridge_messages_received_total", in: text) == 10_000)
        #expect(value("iotflow_bridge_points_written_total", in: text) == Double(stored))
        #expect(value("iotflow_bridge_devices_seen", in: text) == 20)
        #expect(value("iotflow_bridge_mqtt_connected", in: text) == 1)
        #expect((value(#"iotflow_bridge_write_requests_total{outcome="ok"}"#, in: text) ?? 0) >= 1)
        #expect((value("iotflow_bridge_write_duration_seconds_count", in: text) ?? 0) >= 1)
        let dashboard = try DashboardMetrics.metricNames(inDashboardAt: Self.dashboard)
        #expect(DashboardMetrics.missing(dashboard, in: text).isEmpty, "the dashboard queries metrics /metrics lacks")

        // Half the devices go quiet: 3 s later only the other half publishes. Silent for longer
        // than (now − quietSince − 1.5 s) splits them however long publishing took on a loaded
        // machine: the quiet ones were last heard before quietSince, the others 3 s after it.
        let quietSince = ContinuousClock.now
        try await Task.sleep(for: .seconds(3))
        try await publish(port: broker.port, devices: 10, count: 100, firstSeq: 10_000)
        try await eventually("10,100 messages received") { bridge.counters.messagesReceived == 10_100 }
        let silence = quietSince.duration(to: .now) - .milliseconds(1500)
        let listing = try await devices(stale: "\(silence.milliseconds)", on: http)
        let everyone = try await devices(stale: "0s", on: http).devices
        let quiet = Set(everyone.filter { $0.messages == 500 }.map(\.deviceID))
        #expect(everyone.count == 20 && quiet.count == 10)
        #expect(Set(listing.devices.map(\.deviceID)) == quiet)
        #expect(listing.tracked == 20 && listing.untrackedMessages == 0)

        try await eventually("10,100 points written") { bridge.counters.pointsWritten == 10_100 }
        let observatory = bridge.application.observability
        try await eventually(timeout: .seconds(20), "healthy") { await observatory.health().status == .pass }
        try http.request("/health")
        let healthy = try await http.reply()
        #expect(healthy.status == 200)
        #expect(try JSONDecoder().decode(HealthReport.self, from: Data(healthy.body.utf8)).status == .pass)
        try await influxOutageTurnsHealthBadAndBack(bridge, influx, brokerPort: broker.port)
        try await bridge.stop()
        #expect(try await influx.count(measurement: "environment", field: "seq", database: database) == 10_300)
    }

    /// InfluxDB stops: `health()` leaves pass within seconds while idle and stays out of it with
    /// traffic; it starts again: pass, and everything lands.
    private func influxOutageTurnsHealthBadAndBack(
        _ bridge: BridgeUnderTest,
        _ influx: InfluxDB1Server,
        brokerPort: UInt16
    ) async throws {
        let observatory = bridge.application.observability
        await influx.stop()
        // Idle: the writer has nothing to send, so the ping (every 5 s once idle for 10 s) tells.
        try await eventually(timeout: .seconds(25), "influxdb not pass while idle") {
            await observatory.health().checks["influxdb"]?.status != .pass
        }
        let idle = await observatory.health()
        #expect(bridge.counters.writeErrors == 0, "the idle writer sent a request: \(idle)")
        try await publish(port: brokerPort, devices: 10, count: 200, firstSeq: 10_100)
        try await eventually(timeout: .seconds(10), "a write failed") { bridge.counters.writeErrors > 0 }
        let during = await observatory.health()
        #expect(during.checks["influxdb"]?.status != .pass, "\(during)")
        #expect(during.status != .pass)
        try await influx.start()
        try await eventually(timeout: .seconds(30), "10,300 points written") {
            bridge.counters.pointsWritten == 10_300
        }
        try await eventually(timeout: .seconds(10), "healthy again") { await observatory.health().status == .pass }
    }

    private static let dashboard = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("etc/grafana/iotflow-bridge.json").path

    /// `GET /devices?stale=…` on `http`, decoded.
    private func devices(stale: String, on http: RawHTTPConnection) async throws -> DeviceListing {
        try http.request("/devices?stale=\(stale)")
        let reply = try await http.reply()
        #expect(reply.status == 200)
        return try JSONDecoder().decode(DeviceListing.self, from: Data(reply.body.utf8))
    }

    /// The value of the sample line `name` (labels included) in `text`.
    private func value(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    /// Runs `promtool check metrics` with `text` on its standard input.
    private func promtoolCheck(_ text: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: result, as: UTF8.self))
    }
}
