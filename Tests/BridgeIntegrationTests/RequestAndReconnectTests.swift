// iotflow-bridge: the exact v3 request on the wire, and start-up with the broker down.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import BridgeTestSupport
import Foundation
import InMemoryLogging
import Logging
import Testing

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(2)))
struct RequestAndReconnectTests {
    /// The fake copies InfluxDB 3's `/api/v3/write_lp`: 204 with an empty body on success.
    @Test func v3WritesCarryBearerAuthGzipAndExactLines() async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        let sink = try FakeInfluxServer()
        var influx = InfluxConfiguration(
            api: .v3,
            url: sink.baseURL.absoluteString,
            database: "iot",
            token: Secret("t0k")
        )
        influx.batchSize = 2
        var configuration = testConfiguration(brokerPort: broker.port, influx: influx)
        // Only the batch size sends: a timed flush between the two publishes would split them.
        configuration.influxdb.flushInterval = .seconds(3600)
        let bridge = try await BridgeUnderTest(configuration)

        try await publishRaw(
            port: broker.port,
            topic: "iotflow/devices/esp32-a/telemetry/environment",
            payload: #"{"temperature": 24.5, "humidity": 60, "timestamp": "2024-01-01T12:00:00Z"}"#
        )
        try await publishRaw(
            port: broker.port,
            topic: "iotflow/devices/esp32-b/telemetry/environment",
            payload: #"{"temperature": 25.1, "timestamp": 1735732800}"#
        )
        let request = try #require(try await sink.waitForRequests(count: 1).first)
        try await bridge.stop()

        #expect(request.method == "POST" && request.path == "/api/v3/write_lp")
        #expect(request.query == ["db": "iot", "precision": "ns", "accept_partial": "true"])
        #expect(request.headers["authorization"] == "Bearer t0k")
        #expect(request.headers["content-encoding"] == "gzip")
        #expect(request.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(
            request.decodedBody == """
                environment,device_id=esp32-a temperature=24.5,humidity=60 1704110400000000000
                environment,device_id=esp32-b temperature=25.1 1735732800000000000

                """
        )
    }

    @Test func startsWithTheBrokerDownAndConnectsWhenItComesUp() async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        let sink = try FakeInfluxServer()
        let influx = InfluxConfiguration(api: .v2, url: sink.baseURL.absoluteString)
        let bridge = try await BridgeUnderTest(
            testConfiguration(brokerPort: broker.port, influx: influx),
            waitForSubscription: false
        )
        try await eventually("a failed connect logged") {
            bridge.messages(atLeast: .error).contains("Cannot connect to the MQTT broker.")
        }
        try await broker.start()
        try await bridge.subscribed()
        try await publish(port: broker.port, devices: 5, count: 100)
        try await eventually("100 points written") { bridge.counters.pointsWritten == 100 }
        try await bridge.stop()
        #expect(sink.requests.map(\.lines.count).reduce(0, +) == 100)
    }

    @Test func aBrokerRestartIsFollowedByAResubscription() async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        let sink = try FakeInfluxServer()
        let bridge = try await BridgeUnderTest(
            testConfiguration(brokerPort: broker.port, influx: InfluxConfiguration(url: sink.baseURL.absoluteString))
        )
        // Without persistence the restarted broker has forgotten the session and the subscription.
        try await broker.restart()
        try await eventually("a second subscription") {
            bridge.logs.entries.filter { "\($0.message)" == "Subscribed." }.count == 2
        }
        try await publish(port: broker.port, devices: 2, count: 50)
        try await eventually("50 points written") { bridge.counters.pointsWritten == 50 }
        try await bridge.stop()
        #expect(
            bridge.messages(atLeast: .warning).contains("Lost the MQTT connection.")
                || bridge.messages(atLeast: .warning).contains("Disconnected from the MQTT broker.")
        )
    }

    @Test func refusedMessagesAreCountedAndDeadLettered() async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        let sink = try FakeInfluxServer()
        let configuration = testConfiguration(
            brokerPort: broker.port,
            influx: InfluxConfiguration(url: sink.baseURL.absoluteString)
        )
        let bridge = try await BridgeUnderTest(configuration)
        let topic = "iotflow/devices/dev-7/telemetry/environment"
        try await publishRaw(port: broker.port, topic: topic, payload: "{not json")
        let binary = FileManager.default.temporaryDirectory.appendingPathComponent("payload-\(UUID().uuidString)")
        try Data([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]).write(to: binary)  // {"\xFF":1}
        let (status, output) = try await runProgram(
            "/usr/bin/mosquitto_pub",
            ["-h", "127.0.0.1", "-p", "\(broker.port)", "-q", "1", "-t", topic, "-f", binary.path]
        )
        try #require(status == 0, "\(output)")
        try await publishRaw(port: broker.port, topic: topic, payload: #"{"t": 1}"#)
        try await eventually("one point written") { bridge.counters.pointsWritten == 1 }
        try await bridge.stop()

        #expect(
            bridge.counters.messagesRefused[.malformedJSON] == 1 && bridge.counters.messagesRefused[.invalidUTF8] == 1
        )
        let letters = try String(contentsOfFile: configuration.deadLetters.resolvedRefusedPath, encoding: .utf8)
            .split(separator: "\n").compactMap { DeadLetter(jsonLine: String($0)) }
        #expect(letters.map(\.reason) == ["malformed_json", "invalid_utf8"])
        #expect(letters.allSatisfy { $0.topic == topic })
        #expect(letters.map(\.payload) == [Array("{not json".utf8), [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]])
    }
}
