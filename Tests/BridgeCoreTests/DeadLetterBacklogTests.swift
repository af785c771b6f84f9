// iotflow-bridge: the dead-letter backlog: records kept through failed writes, with backoff.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct DeadLetterBacklogTests {
    private let letters = (0..<3).map { DeadLetter(time: Int64($0), reason: "bad", status: 400, line: "m v=\($0)") }

    @Test func failedWritesKeepTheRecordsAndBackOffUntilOneWorks() {
        var clock = ManualClock()
        var backlog = DeadLetterBacklog(policy: RetryPolicy(initial: .seconds(1), maximum: .seconds(8)))
        #expect(!backlog.isDue(at: clock.now) && backlog.isEmpty)
        backlog.add(letters)
        #expect(backlog.isDue(at: clock.now))

        #expect(backlog.wrote(0, at: clock.now, random: 1) == .failed(first: true, retryAt: clock.now + .seconds(1)))
        clock.advance(.milliseconds(999))
        #expect(!backlog.isDue(at: clock.now))
        clock.advance(.milliseconds(1))
        #expect(backlog.isDue(at: clock.now))
        #expect(backlog.wrote(0, at: clock.now, random: 1) == .failed(first: false, retryAt: clock.now + .seconds(2)))
        clock.advance(.seconds(2))
        #expect(backlog.wrote(0, at: clock.now, random: 1) == .failed(first: false, retryAt: clock.now + .seconds(4)))
        #expect(backlog.records == letters)

        clock.advance(.seconds(4))
        #expect(backlog.wrote(3, at: clock.now, random: 1) == .recovered(failures: 3))
        #expect(backlog.isEmpty && backlog.retryAt == nil)
        backlog.add(letters)
        #expect(backlog.wrote(3, at: clock.now, random: 1) == nil)
    }

    @Test func aPartWrittenIsNotWrittenAgain() {
        var backlog = DeadLetterBacklog(policy: RetryPolicy())
        backlog.add(letters)
        _ = backlog.wrote(1, at: .now, random: 0)
        #expect(backlog.records == Array(letters.dropFirst()))
        _ = backlog.wrote(.max, at: .now, random: 0)
        #expect(backlog.isEmpty)
    }
}
