// iotflow-bridge: delivery that never gives up on good data, against a scripted sink and real InfluxDB 1.6.7.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import BridgeTestSupport
import Foundation
import InMemoryLogging
import Logging
import Synchronization
import Testing

/// The `seq` field of each line, as written by iotflow-sim.
private func sequenceNumbers(_ lines: [Substring]) -> [Int] {
    lines.compactMap { line in line.split(separator: "seq=").last?.split(separator: " ").first.flatMap { Int($0) } }
}

/// The lines of the requests the sink answered with 204.
private func storedLines(_ requests: [RecordedRequest], accepted: (RecordedRequest) -> Bool) -> [Substring] {
    requests.filter(accepted).flatMap { $0.lines }
}

private func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("iotflow-\(UUID().uuidString)-\(name)").path
}

private func deadLetters(at path: String) throws -> [DeadLetter] {
    guard FileManager.default.fileExists(atPath: path) else { return [] }
    return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap {
        DeadLetter(jsonLine: String($0))
    }
}

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(3)))
struct DeliveryTests {
    private func configuration(
        broker: MosquittoBroker,
        influx: InfluxConfiguration,
        deadLetterPath: String = temporaryPath("dead-letters.jsonl")
    ) -> BridgeConfiguration {
        var configuration = testConfiguration(brokerPort: broker.port, influx: influx)
        configuration.retry = RetryConfiguration(initial: .milliseconds(500), maximum: .seconds(2))
        configuration.breaker = BreakerConfiguration(failures: 5, openFor: .seconds(5), maximumOpenFor: .seconds(20))
        configuration.deadLetters.path = deadLetterPath
        return configuration
    }

    private func broker() async throws -> MosquittoBroker {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        return broker
    }

    /// The sink copies InfluxDB 1.x's 500 `{"error":"timeout"}`, then recovers.
    @Test func thirtySecondsOfFiveHundredsThenEverythingLandsOnce() async throws {
        let broker = try await broker()
        let accepted = AcceptedBodies(accepting: false)
        let sink = try FakeInfluxServer { accepted.answer($0, refusal: .v1Error(status: 500, message: "timeout")) }
        let bridge = try await BridgeUnderTest(
            configuration(broker: broker, influx: InfluxConfiguration(url: sink.baseURL.absoluteString))
        )
        try await publish(port: broker.port, devices: 50, count: 5_000)
        try await Task.sleep(for: .seconds(30))
        let attemptsDuringOutage = sink.requests.count
        accepted.startAccepting()
        try await eventually("5,000 points written") { bridge.counters.pointsWritten == 5_000 }
        try await bridge.stop()

        let stored = sequenceNumbers(accepted.lines)
        #expect(Set(stored) == Set(0..<5_000) && stored.count == 5_000, "a point was lost or written twice")
        #expect(attemptsDuringOutage > 0 && bridge.counters.writeErrors > 0 && bridge.counters.pointsDropped == 0)
    }

    /// The sink copies a 503 with `Retry-After: 5` (InfluxDB 2.x "temporarily unavailable") for
    /// the first request, then accepts.
    @Test func retryAfterIsHonoured() async throws {
        let broker = try await broker()
        let answered = Mutex(0)
        let sink = try FakeInfluxServer { _ in
            answered.withLock { count in
                count += 1
                return count == 1 ? .retryAfter(status: 503, seconds: 5) : .noContent
            }
        }
        let bridge = try await BridgeUnderTest(
            configuration(broker: broker, influx: InfluxConfiguration(url: sink.baseURL.absoluteString))
        )
        try await publish(port: broker.port, devices: 5, count: 100)
        try await eventually("100 points written") { bridge.counters.pointsWritten == 100 }
        try await bridge.stop()
        let requests = sink.requests
        try #require(requests.count >= 2)
        #expect(requests[1].receivedAt - requests[0].receivedAt >= .seconds(5))
    }

    /// The sink copies InfluxDB 3's 413 for bodies over its limit, checked after decompression.
    @Test func tooLargeBodiesAreSplitAndTheLimitIsLearned() async throws {
        let broker = try await broker()
        let limit = 256 * 1024
        let sink = try FakeInfluxServer { request in
            request.decodedBody.utf8.count > limit ? FakeResponse(status: 413, body: "request too large") : .noContent
        }
        let bridge = try await BridgeUnderTest(
            configuration(broker: broker, influx: InfluxConfiguration(url: sink.baseURL.absoluteString))
        )
        try await publish(port: broker.port, devices: 200, count: 20_000)
        try await eventually("20,000 points written") { bridge.counters.pointsWritten == 20_000 }
        try await bridge.stop()

        // Halving may take a few 413s (600 KB → 300 KB → 150 KB); once a request fits, the
        // learned size holds: no request after it is refused again.
        let requests = sink.requests
        let firstRefusal = try #require(requests.firstIndex { $0.decodedBody.utf8.count > limit })
        let firstFit = try #require(requests[firstRefusal...].firstIndex { $0.decodedBody.utf8.count <= limit })
        #expect(
            requests[firstFit...].allSatisfy { $0.decodedBody.utf8.count <= limit },
            "a request exceeded the learned size"
        )
        let accepted = sequenceNumbers(storedLines(requests) { $0.decodedBody.utf8.count <= limit })
        #expect(Set(accepted) == Set(0..<20_000) && accepted.count == 20_000)
    }

    /// The sink copies InfluxDB 3's `accept_partial=true` reply: the listed lines fail, the rest are stored.
    @Test func v3PartialWriteDeadLettersExactlyTheBadLines() async throws {
        let broker = try await broker()
        let bad: Set<Int> = [17, 2_500, 4_999]
        let sink = try FakeInfluxServer { request in
            let failures = request.lines.enumerated().compactMap { index, line -> FakeResponse.LineError? in
                guard let seq = sequenceNumbers([line]).first, bad.contains(seq) else { return nil }
                return .init(
                    originalLine: String(line),
                    lineNumber: index + 1,
                    errorMessage: "invalid column type for column 'seq'"
                )
            }
            return failures.isEmpty ? .noContent : .v3PartialWrite(failures)
        }
        var influx = InfluxConfiguration(
            api: .v3,
            url: sink.baseURL.absoluteString,
            database: "iot",
            token: Secret("t")
        )
        influx.batchSize = 5_000
        let path = temporaryPath("dead-letters.jsonl")
        var configuration = configuration(broker: broker, influx: influx, deadLetterPath: path)
        configuration.influxdb.flushInterval = .seconds(60)
        let bridge = try await BridgeUnderTest(configuration)
        try await publish(port: broker.port, devices: 100, count: 5_000)
        try await eventually("the batch settled") {
            bridge.counters.pointsWritten + bridge.counters.pointsRejected == 5_000
        }
        try await bridge.stop()

        #expect(sink.requests.count == 1, "lines the server stored were sent again")
        #expect(bridge.counters.pointsWritten == 4_997 && bridge.counters.pointsRejected == 3)
        let letters = try deadLetters(at: path)
        #expect(Set(letters.compactMap { $0.line.map { sequenceNumbers([Substring($0)]) }?.first }) == bad)
        #expect(letters.allSatisfy { $0.reason == "invalid column type for column 'seq'" && $0.status == 400 })
    }

    @Test func v1TypeConflictDeadLettersOnlyTheConflictingPoints() async throws {
        let broker = try await broker()
        let influxd = try InfluxDB1Server()
        try await influxd.start()
        try await influxd.createDatabase("iotflow")
        let path = temporaryPath("dead-letters.jsonl")
        var configuration = configuration(
            broker: broker,
            influx: InfluxConfiguration(api: .v1, url: influxd.baseURL.absoluteString, database: "iotflow"),
            deadLetterPath: path
        )
        configuration.influxdb.flushInterval = .seconds(60)
        // The mapper refuses conflicts it can see (declarations, the schema read at start-up); this
        // one it cannot: another writer makes `temperature` a boolean in `legacy` after that read.
        let bridge = try await BridgeUnderTest(configuration)
        try await influxd.write("legacy,device_id=old temperature=true", database: "iotflow")
        try await publish(port: broker.port, devices: 100, count: 4_997)
        for device in 1...3 {
            try await publishRaw(
                port: broker.port,
                topic: "iotflow/devices/conflict-\(device)/telemetry/legacy",
                payload: #"{"temperature": 21.5}"#
            )
        }
        try await eventually("the batch settled") {
            bridge.counters.pointsWritten + bridge.counters.pointsRejected == 5_000
        }
        try await bridge.stop()

        #expect(bridge.counters.pointsWritten == 4_997 && bridge.counters.pointsRejected == 3)
        #expect(try await influxd.count(measurement: "environment", field: "temperature", database: "iotflow") == 4_997)
        let letters = try deadLetters(at: path)
        #expect(Set(letters.compactMap(\.device)) == ["conflict-1", "conflict-2", "conflict-3"])
        #expect(letters.allSatisfy { $0.reason.contains("field type conflict") && $0.status == 400 }, "\(letters)")
    }

    @Test func sixtySecondsOfRefusedConnectionsOpenTheBreakerAndLoseNothing() async throws {
        let broker = try await broker()
        var sink = try FakeInfluxServer()
        let port = sink.port
        let bridge = try await BridgeUnderTest(
            configuration(broker: broker, influx: InfluxConfiguration(url: sink.baseURL.absoluteString))
        )
        sink.stop()
        try await publish(port: broker.port, devices: 20, count: 2_000)
        try await Task.sleep(for: .seconds(60))
        let attemptsDuringOutage = bridge.counters.writeErrors
        sink = try FakeInfluxServer(port: port)
        try await eventually(timeout: .seconds(60), "2,000 points written") { bridge.counters.pointsWritten == 2_000 }
        try await bridge.stop()

        // Schedule: 5 failures within ~7 s (0.5-2 s backoff), then probes after cool-downs of
        // 5, 10, 20, 20 s: at most about 10 attempts in 60 s, where a naive retry loop makes thousands.
        #expect(bridge.counters.breakerOpened >= 1)
        #expect(attemptsDuringOutage >= 5 && attemptsDuringOutage <= 12, "\(attemptsDuringOutage) attempts")
        let stored = sequenceNumbers(storedLines(sink.requests) { _ in true })
        #expect(Set(stored) == Set(0..<2_000) && stored.count == 2_000)
        #expect(
            bridge.messages(atLeast: .warning).contains(
                "Circuit breaker opened: no writes until the cool-down ends; the buffer absorbs."
            )
        )
    }

    /// The sink copies InfluxDB 2.x's 401 `{"code":"unauthorized","message":"unauthorized access"}`.
    @Test func aWrongTokenKeepsTheDataUntilAReloadFixesIt() async throws {
        let broker = try await broker()
        let sink = try FakeInfluxServer { request in
            request.headers["authorization"] == "Token good"
                ? .noContent : .v2Error(status: 401, code: "unauthorized", message: "unauthorized access")
        }
        let wrong = configuration(
            broker: broker,
            influx: InfluxConfiguration(url: sink.baseURL.absoluteString, token: Secret("bad"))
        )
        let bridge = try await BridgeUnderTest(wrong)
        try await publish(port: broker.port, devices: 10, count: 500)
        try await eventually("the breaker opened") { bridge.counters.breakerOpened == 1 }

        let failures = bridge.logs.entries.filter {
            "\($0.message)" == "InfluxDB write failed; the data is kept and retried."
        }
        #expect(failures.count == 1, "failures are logged once per streak, then at most once a minute")
        #expect(failures.first?.level == .error && failures.first?.metadata["influx.message"] == "unauthorized access")
        #expect(bridge.counters.pointsWritten == 0 && bridge.application.buffer.occupancy.points == 500)

        var fixed = wrong
        fixed.influxdb.token = Secret("good")
        bridge.application.reload(fixed)
        try await eventually("500 points written") { bridge.counters.pointsWritten == 500 }
        try await bridge.stop()
        #expect(bridge.counters.pointsDropped == 0 && bridge.counters.pointsRejected == 0)
    }
}
