// iotflow-bridge: the schema thread: a failed read is logged once and retried, a refresh request reads again.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import InMemoryLogging
import Logging
import Synchronization
import Testing

@testable import Bridge

@Suite(.timeLimit(.minutes(1))) struct SchemaServiceTests {
    private func schema(_ field: String) -> FieldSchema {
        var schema = FieldSchema()
        schema.add(.string, measurement: "m", field: field)
        return schema
    }

    /// InfluxDB down (nothing listens on the port): the first read fails at once, so intake is
    /// not held up, nothing is handed over, and the failure is logged once with the retry delay.
    @Test func aFailedFirstReadReleasesIntakeAndIsLoggedOnce() async throws {
        let logs = InMemoryLogHandler()
        let handoff = FieldSchemaHandoff(reading: true)
        let reader = InfluxSchemaReader(maxFieldTypes: 10)
        let service = SchemaService(
            settings: InfluxSettings(InfluxConfiguration(api: .v1, url: "http://127.0.0.1:1")),
            handoff: handoff,
            logger: Logger(label: "test") { _ in logs }
        ) { reader.read($0) }
        let running = Task { try await service.run() }
        let started = ContinuousClock.now
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread {
                handoff.waitForFirstRead(upTo: .seconds(50), or: WakeSignal())
                done.resume()
            }.start()
        }
        #expect(ContinuousClock.now - started < .seconds(50), "ended by the failed read, not the timeout")
        running.cancel()
        try await running.value
        var seen = 0
        #expect(handoff.take(ifNewerThan: &seen) == nil)
        let failures = logs.entries.filter { "\($0.message)".hasPrefix("Cannot read the field types InfluxDB holds") }
        #expect(failures.count == 1 && failures.first?.level == .warning)
        #expect(failures.first?.metadata["retry.delay"] != nil)
    }

    /// A scripted reader: InfluxDB down for the first read, then answering. The retry (after the
    /// 1 s backoff) hands the schema over; a refresh request (the writer, after a rejected type
    /// conflict) makes one more read.
    @Test func aFailedReadIsRetriedAndARefreshRequestReadsAgain() async throws {
        let replies: [SchemaReply] = [.failed("connection refused"), .schema(schema("a")), .schema(schema("b"))]
        let reads = Mutex(0)
        let logs = InMemoryLogHandler()
        let handoff = FieldSchemaHandoff(reading: true)
        let service = SchemaService(
            settings: InfluxSettings(InfluxConfiguration()),
            handoff: handoff,
            logger: Logger(label: "test") { _ in logs },
            refreshInterval: .milliseconds(50)
        ) { _ in
            reads.withLock { count in
                defer { count += 1 }
                return replies[min(count, replies.count - 1)]
            }
        }
        let running = Task { try await service.run() }
        var seen = 0
        func next() async throws -> FieldSchema? {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if let taken = handoff.take(ifNewerThan: &seen) { return taken }
                try await Task.sleep(for: .milliseconds(10))
            }
            return nil
        }
        #expect(try await next() == schema("a"), "the retry after the failed read")
        #expect(reads.withLock { $0 } == 2)
        service.requestRefresh()
        #expect(try await next() == schema("b"), "the refresh")
        running.cancel()
        try await running.value
        #expect(reads.withLock { $0 } == 3)
        let messages = logs.entries.map { "\($0.level) \($0.message)" }
        #expect(messages.filter { $0.hasPrefix("warning Cannot read the field types") }.count == 1)
        #expect(messages.filter { $0.hasPrefix("notice Read the field types") }.count == 1, "recovered: notice")
        #expect(messages.filter { $0.hasPrefix("info Read the field types") }.count == 1, "a refresh: info")
    }
}
