// iotflow-bridge: the batch state machine with a manual clock: splits, salvage, settle budget, limits.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

/// Lines `m,device_id=d<i> v=<i> <timestamp>` for i in 0..<count, with their bytes and lengths.
private struct Lines {
    var texts: [String]
    var body: [UInt8] { Array(texts.joined().utf8) }
    var lengths: [Int] { texts.map(\.utf8.count) }

    init(count: Int, timestamp: (Int) -> Int = { 1_000 + $0 }) {
        texts = (0..<count).map { "m,device_id=d\($0) v=\($0) \(timestamp($0))\n" }
    }

    /// The request's bytes for `range`.
    func request(_ range: Range<Int>) -> ArraySlice<UInt8> {
        Array(texts[range].joined().utf8)[...]
    }
}

@Suite struct BatchDeliveryTests {
    /// Drives a delivery against a server that refuses the lines in `bad` without naming them,
    /// each reply taking `perRequest` of the manual clock.
    private func bisect(
        lines count: Int,
        bad: Set<Int>,
        perRequest: Duration = .milliseconds(1),
        maxSettleTime: Duration = .seconds(3600)
    ) -> BatchDelivery {
        let lines = Lines(count: count)
        var clock = ManualClock()
        var delivery = BatchDelivery(lineLengths: lines.lengths, maxSettleTime: maxSettleTime)
        while let range = delivery.nextRequest(maxLines: .max, maxBytes: .max, now: clock.now) {
            clock.advance(perRequest)
            let outcome: WriteOutcome =
                bad.isDisjoint(with: range) ? .accepted : .rejected(status: 400, message: "bad \(range)")
            delivery.receive(outcome, request: lines.request(range), now: clock.now)
        }
        return delivery
    }

    @Test(arguments: [(5000, Set([17, 2500, 4999])), (1, Set([0])), (8, Set(0..<8)), (5000, Set<Int>())])
    func bisectionIsolatesExactlyTheBadLines(lines: Int, bad: Set<Int>) {
        let delivery = bisect(lines: lines, bad: bad)
        #expect(delivery.isComplete)
        #expect(Set(delivery.rejected.map(\.index)) == bad && delivery.rejected.count == bad.count)
        #expect(delivery.rejected.allSatisfy { $0.kind == .rejected && $0.status == 400 })
        let log2 = Int.bitWidth - (lines - 1).leadingZeroBitCount
        let bound = bad.isEmpty ? 1 : min(2 * lines - 1, 1 + 2 * bad.count * log2)
        #expect(delivery.answeredCount <= bound && delivery.requestCount == delivery.answeredCount)
    }

    @Test func aWhollyRefusedBatchSettlesWithinTheRequestLimit() {
        // 5,000 bad lines: plain bisection would take 9,999 requests.
        let delivery = bisect(lines: 5000, bad: Set(0..<5000))
        let limit = BatchDelivery.settleRequestLimit(lines: 5000)
        #expect(limit == 224)
        #expect(delivery.isComplete && delivery.answeredCount == 1 + limit)
        #expect(delivery.rejectedCount == 5000 && Set(delivery.rejected.map(\.index)) == Set(0..<5000))
        let unsettled = delivery.rejected.filter { $0.kind == .unsettled }
        #expect(unsettled.count > 4800 && unsettled.allSatisfy { $0.status == 400 })
        // The last reason the server gave, marked as not isolated.
        let last = unsettled.first?.reason ?? ""
        #expect(last.hasPrefix("bad ") && last.hasSuffix("before this line was isolated]"), "\(last)")
    }

    @Test func aWhollyRefusedBatchSettlesWithinTheTime() {
        // One second a request, ten seconds of budget: the first rejection, then ten more requests.
        let delivery = bisect(lines: 5000, bad: Set(0..<5000), perRequest: .seconds(1), maxSettleTime: .seconds(10))
        #expect(delivery.isComplete && delivery.answeredCount == 11 && delivery.rejectedCount == 5000)
    }

    @Test func anOutageAfterTheFirstRejectionSpendsNoBudget() {
        let lines = Lines(count: 4)
        var clock = ManualClock()
        var delivery = BatchDelivery(lineLengths: lines.lengths, maxSettleTime: .seconds(10))
        _ = delivery.nextRequest(maxLines: .max, maxBytes: .max, now: clock.now)
        delivery.receive(.rejected(status: 400, message: "bad"), request: lines.request(0..<4), now: clock.now)
        // An hour of 503s and refused connections: nothing is dead-lettered, the same half is resent.
        for attempt in 0..<1000 {
            #expect(delivery.nextRequest(maxLines: .max, maxBytes: .max, now: clock.now) == 0..<2)
            clock.advance(.seconds(4))
            let failure: WriteOutcome =
                attempt.isMultiple(of: 2)
                ? .retryable(status: nil, message: "refused") : .throttled(status: 503, retryAfter: nil, message: "")
            delivery.receive(failure, request: lines.request(0..<2), now: clock.now)
        }
        #expect(delivery.rejected.isEmpty && !delivery.isComplete && delivery.answeredCount == 1)
        // Back again: the rest settles normally.
        while let next = delivery.nextRequest(maxLines: .max, maxBytes: .max, now: clock.now) {
            clock.advance(.milliseconds(10))
            delivery.receive(
                next.contains(1) ? .rejected(status: 400, message: "bad") : .accepted,
                request: lines.request(next),
                now: clock.now
            )
        }
        #expect(delivery.rejected == [RejectedLine(index: 1, reason: "bad", status: 400)])
    }

    @Test func failuresBeforeAnyRejectionNeverDeadLetter() {
        let lines = Lines(count: 3)
        var clock = ManualClock()
        var delivery = BatchDelivery(lineLengths: lines.lengths, maxSettleTime: .seconds(1))
        for _ in 0..<100 {
            #expect(delivery.nextRequest(maxLines: .max, maxBytes: .max, now: clock.now) == 0..<3)
            clock.advance(.seconds(3600))
            delivery.receive(.retryable(status: 500, message: "down"), request: lines.request(0..<3), now: clock.now)
        }
        #expect(!delivery.settleStarted && delivery.rejected.isEmpty && delivery.answeredCount == 0)
    }

    @Test func requestsAreCutToTheSizeLimitAndSentInOrder() {
        var delivery = BatchDelivery(lineLengths: [100, 100, 100, 100, 100], maxSettleTime: .seconds(30))
        var sent: [Range<Int>] = []
        while let range = delivery.nextRequest(maxLines: .max, maxBytes: 250, now: .now) {
            sent.append(range)
            delivery.receive(.accepted, request: [], now: .now)
        }
        #expect(sent == [0..<2, 2..<4, 4..<5])
    }

    @Test func aRequestWithoutAReplyIsSentAgainUnchanged() {
        var delivery = BatchDelivery(lineLengths: [10, 10, 10], maxSettleTime: .seconds(30))
        let first = delivery.nextRequest(maxLines: 2, maxBytes: .max, now: .now)
        let again = delivery.nextRequest(maxLines: 2, maxBytes: .max, now: .now)
        #expect(first == 0..<2 && again == 0..<2 && delivery.unsettled == [0..<2, 2..<3])
    }

    @Test func v3PartialWritesRefuseOnlyTheNamedLines() {
        var delivery = BatchDelivery(lineLengths: Array(repeating: 10, count: 10), maxSettleTime: .seconds(30))
        _ = delivery.nextRequest(maxLines: 4, maxBytes: .max, now: .now)
        delivery.receive(.accepted, request: [], now: .now)
        #expect(delivery.nextRequest(maxLines: .max, maxBytes: .max, now: .now) == 4..<10)
        let failures = [
            LineFailure(lineNumber: 1, message: "a"), LineFailure(lineNumber: 6, message: "b"),
            LineFailure(lineNumber: 6, message: "twice"), LineFailure(lineNumber: 99, message: "out of range"),
        ]
        delivery.receive(.partiallyAccepted(status: 400, failures: failures), request: [], now: .now)
        #expect(
            delivery.isComplete
                && delivery.rejected == [
                    RejectedLine(index: 4, reason: "a", status: 400), RejectedLine(index: 9, reason: "b", status: 400),
                ]
        )
    }

    @Test(arguments: [
        (Int.max, nil), (Int.max - 1, nil), (Int.min, nil), (-1, nil), (0, nil), (7, nil), (1, 4), (6, 9),
    ])
    func lineNumbersOutsideTheRequestCannotOverflow(lineNumber: Int, rejected: Int?) {
        var delivery = BatchDelivery(lineLengths: Array(repeating: 10, count: 10), maxSettleTime: .seconds(30))
        _ = delivery.nextRequest(maxLines: 4, maxBytes: .max, now: .now)
        delivery.receive(.accepted, request: [], now: .now)
        _ = delivery.nextRequest(maxLines: 6, maxBytes: .max, now: .now)
        delivery.receive(
            .partiallyAccepted(status: 400, failures: [LineFailure(lineNumber: lineNumber, message: "x")]),
            request: [],
            now: .now
        )
        #expect(delivery.isComplete && delivery.rejected.map(\.index) == (rejected.map { [$0] } ?? []))
    }

    @Test func a1xPartialWriteSettlesWithoutResending() {
        // Lines 2 and 5 are older than the retention policy; InfluxDB stored the other three.
        let lines = Lines(count: 5) { [3_000, 100, 5_000, 4_000, 200][$0] }
        var delivery = BatchDelivery(lineLengths: lines.lengths, maxSettleTime: .seconds(30))
        let range = delivery.nextRequest(maxLines: .max, maxBytes: .max, now: .now)
        let report = PartialWrite(message: "partial write: points beyond retention policy dropped=2")!
        delivery.receive(.partiallyWritten(status: 400, report: report), request: lines.request(0..<5), now: .now)
        #expect(range == 0..<5 && delivery.isComplete && delivery.requestCount == 1)
        #expect(delivery.rejected.map(\.index) == [1, 4] && delivery.rejectedCount == 2)
        #expect(
            delivery.rejected.allSatisfy { $0.reason == report.message && $0.status == 400 && $0.kind == .rejected }
        )
    }

    @Test func aLaterRequestsPartialWriteIsMatchedInASliceOfTheBatchOrACopy() {
        // Line 3 is older than the retention policy; the request for lines 2..<4 carries it.
        let lines = Lines(count: 4) { [3_000, 4_000, 5_000, 100][$0] }
        let body = lines.body
        let report = PartialWrite(message: "partial write: points beyond retention policy dropped=1")!
        for copied in [false, true] {
            var delivery = BatchDelivery(lineLengths: lines.lengths, maxSettleTime: .seconds(30))
            let first = delivery.nextRequest(maxLines: 2, maxBytes: .max, now: .now)
            delivery.receive(.accepted, request: lines.request(0..<2), now: .now)
            guard let range = delivery.nextRequest(maxLines: 2, maxBytes: .max, now: .now) else {
                Issue.record("no second request")
                return
            }
            #expect(first == 0..<2 && range == 2..<4)
            #expect(delivery.byteRange(of: range) == lines.lengths[..<2].reduce(0, +)..<body.count)
            let request = copied ? lines.request(range) : body[delivery.byteRange(of: range)]
            delivery.receive(.partiallyWritten(status: 400, report: report), request: request, now: .now)
            #expect(
                delivery.isComplete && delivery.rejected.map(\.index) == [3] && delivery.rejected[0].kind == .rejected
            )
        }
    }

    @Test func unnamedDropsAreDeadLetteredAsPossiblyStoredAndCountedOnce() {
        let lines = Lines(count: 4)
        var delivery = BatchDelivery(lineLengths: lines.lengths, maxSettleTime: .seconds(30))
        _ = delivery.nextRequest(maxLines: .max, maxBytes: .max, now: .now)
        let report = PartialWrite(message: "partial write: max-series-per-database limit exceeded dropped=1")!
        delivery.receive(.partiallyWritten(status: 400, report: report), request: lines.request(0..<4), now: .now)
        #expect(delivery.isComplete && delivery.requestCount == 1 && delivery.rejectedCount == 1)
        #expect(delivery.rejected.map(\.index) == [0, 1, 2, 3])
        #expect(
            delivery.rejected.allSatisfy { $0.kind == .possiblyStored && $0.reason.contains("dropped 1 of these 4") }
        )
    }

    @Test func aRequestBodyThatDoesNotMatchLeavesEveryDropUnnamed() {
        let lines = Lines(count: 3)
        var delivery = BatchDelivery(lineLengths: lines.lengths, maxSettleTime: .seconds(30))
        _ = delivery.nextRequest(maxLines: .max, maxBytes: .max, now: .now)
        let report = PartialWrite(message: "partial write: points beyond retention policy dropped=9")!
        delivery.receive(.partiallyWritten(status: 400, report: report), request: [1, 2, 3], now: .now)
        #expect(delivery.isComplete && delivery.rejectedCount == 3 && delivery.rejected.count == 3)
    }

    @Test func tooLargeSplitsUntilASingleLineIsRefused() {
        var delivery = BatchDelivery(lineLengths: [10, 500, 10], maxSettleTime: .seconds(30))
        while let range = delivery.nextRequest(maxLines: .max, maxBytes: .max, now: .now) {
            let outcome: WriteOutcome = delivery.byteCount(of: range) > 100 ? .tooLarge : .accepted
            delivery.receive(outcome, request: [], now: .now)
        }
        #expect(delivery.rejected.map(\.index) == [1] && delivery.rejected.first?.status == 413)
        #expect(!delivery.settleStarted, "a 413 is no rejection of the data")
    }

    @Test(arguments: [(1, 16), (2, 32), (5, 64), (1000, 176), (5000, 224), (1_000_000, 336)])
    func theRequestLimitGrowsWithTheLogarithmOfTheBatch(lines: Int, limit: Int) {
        #expect(BatchDelivery.settleRequestLimit(lines: lines) == limit)
    }
}
