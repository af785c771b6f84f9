// iotflow-bridge: the shared batch driver: request slices, replies fed back, dead-letter records.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@testable import Bridge

/// Answers each write from its body and records the bodies; used on the test's own thread only.
private final class AnsweringTransport: InfluxTransport {
    private let answer: (String) -> WriteOutcome
    private(set) var bodies: [String] = []

    init(_ answer: @escaping (String) -> WriteOutcome) {
        self.answer = answer
    }

    func write(_ body: ArraySlice<UInt8>) -> WriteOutcome {
        let text = String(decoding: body, as: UTF8.self)
        bodies.append(text)
        return answer(text)
    }
}

@Suite struct BatchSenderTests {
    /// Sends until complete (at most `limit` requests) and returns the requests' ranges.
    private func sendAll(
        _ sender: inout BatchSender,
        maxLines: Int = .max,
        through transport: AnsweringTransport,
        limit: Int = 50
    ) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        while ranges.count < limit, let range = sender.nextRequest(maxLines: maxLines, maxBytes: .max, now: .now) {
            ranges.append(range)
            _ = sender.send(range, through: transport)
        }
        return ranges
    }

    @Test func eachRequestIsItsLinesBytesAndRejectedLinesBecomeRecordsOnce() {
        let lines = ["m v=1 1", "m v=2 2", "bad", "m v=4 4"]
        var sender = BatchSender(lines: lines, maxSettleTime: .seconds(30))
        let transport = AnsweringTransport { body in
            body.contains("bad") ? .rejected(status: 400, message: "unable to parse 'bad'") : .accepted
        }
        let ranges = sendAll(&sender, through: transport)
        #expect(ranges == [0..<4, 0..<2, 2..<4, 2..<3, 3..<4])
        #expect(transport.bodies == ranges.map { lines[$0].map { $0 + "\n" }.joined() })
        #expect(sender.isComplete)
        let rejected = sender.takeRejected(at: 42)
        #expect(rejected.lines.map(\.index) == [2])
        #expect(
            rejected.records == [DeadLetter(time: 42, reason: "unable to parse 'bad'", status: 400, line: "bad")]
        )
        #expect(sender.takeRejected(at: 43).records.isEmpty)
        #expect(sender.delivery.rejectedCount == 1)
    }

    @Test func aFailedRequestIsSentAgainWithTheSameBytes() {
        var failures = 2
        let transport = AnsweringTransport { _ in
            guard failures == 0 else {
                failures -= 1
                return .retryable(status: 503, message: "unavailable")
            }
            return .accepted
        }
        var sender = BatchSender(lines: ["a v=1 1", "b v=2 2", "c v=3 3"], maxSettleTime: .seconds(30))
        let ranges = sendAll(&sender, maxLines: 2, through: transport)
        #expect(ranges == [0..<2, 0..<2, 0..<2, 2..<3])
        #expect(transport.bodies == ["a v=1 1\nb v=2 2\n", "a v=1 1\nb v=2 2\n", "a v=1 1\nb v=2 2\n", "c v=3 3\n"])
        #expect(sender.isComplete)
        #expect(sender.takeRejected(at: 0).records.isEmpty)
    }

    @Test func aPartialWriteIsMatchedAgainstTheLinesOfARequestInsideTheBody() {
        let body = Array("m v=1 1\nm v=2 2\nm v=x 3\nm v=4 4\n".utf8)
        var sender = BatchSender(body: body, lineLengths: [8, 8, 8, 8], maxSettleTime: .seconds(30))
        let transport = AnsweringTransport { body in
            guard body.contains("v=x") else { return .accepted }
            let report = PartialWrite(message: "partial write: unable to parse 'm v=x 3': invalid number dropped=0")!
            return .partiallyWritten(status: 400, report: report)
        }
        let ranges = sendAll(&sender, maxLines: 2, through: transport)
        #expect(ranges == [0..<2, 2..<4])
        let rejected = sender.takeRejected(at: 7)
        #expect(rejected.lines.map(\.index) == [2])
        #expect(rejected.lines.map(\.kind) == [.rejected])
        #expect(rejected.records.map(\.line) == ["m v=x 3"])
    }
}
