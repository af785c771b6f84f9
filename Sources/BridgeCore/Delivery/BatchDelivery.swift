// iotflow-bridge: delivering one batch through splits and salvage until every line is settled.
// SPDX-License-Identifier: Apache-2.0

/// The delivery of one batch, as a pure state machine the writer drives: `nextRequest` says which
/// lines to send, `receive` takes the classified reply. Time comes in as `now`; nothing here reads
/// a clock. A value, confined to its owner (the writer thread).
///
/// The batch stays at the front of the buffer until every line is settled: stored, or
/// dead-lettered. Each request sends a contiguous range of unsettled lines, in batch order:
///
/// | reply | effect |
/// |---|---|
/// | accepted | the range is settled |
/// | partially accepted (v3 line numbers) | the listed lines are rejected, the rest settled |
/// | partially written (1.x `partial write: … dropped=N`) | the rest was stored: settled without resending; the lines the message identifies are rejected, and when it cannot tell which N were dropped, the candidates are dead-lettered as possibly stored (N counted as rejected) |
/// | rejected without line numbers | the range is split in halves and each is sent again; a single line is rejected |
/// | too large (413) | the range is split in halves; a single line is rejected |
/// | anything else (5xx, 429, 408, no reply, 401/403/404) | nothing changes: the same range is sent again after the backoff |
///
/// **Settle budget.** The first rejection (400/422) of the batch starts it; failures never start
/// or spend it, so an outage of any length dead-letters nothing. From then on the batch may take
/// `maxSettleTime` of answered requests (the clock runs from one answer to the next and stops
/// while requests fail) and `settleRequestLimit(lines:)` more answered requests. When either runs
/// out, `nextRequest` dead-letters every unsettled line as `unsettled` with the server's last
/// reason, and the batch is complete: its last request may still take `influxdb.timeout`.
///
/// **Request bound.** Counting only answered requests (failures resend the same range): a batch
/// of n lines takes at most 2n − 1 (each request is a node of a binary split tree whose leaves
/// are disjoint ranges), and at most `settleRequestLimit(lines: n)` = 16 × (⌈log2 n⌉ + 1) after
/// the request that brought its first rejection. Bisection isolates k bad lines among n in at
/// most 2k·⌈log2 n⌉ requests, so the limit isolates about 8 bad lines exactly.
///
/// Worked example, n = 5,000 lines all bad, limit 16 × (13 + 1) = 224: InfluxDB 1.x answers
/// `partial write: … dropped=5000` and the batch settles in 1 request. A server that rejects a
/// request whole without naming lines (2.x, VictoriaMetrics) gets request 1 (rejected: the budget
/// starts), then at most 224 bisection requests that isolate about 112 lines one by one; the
/// other ~4,888 are dead-lettered as unsettled: 225 requests where plain bisection needs 9,999.
/// At 50 ms a request the 224 take ~11 s, inside the default 30 s; at 200 ms the time runs
/// out first, after ~150.
public struct BatchDelivery: Sendable {
    /// Where each line starts in the batch's bytes, and one more entry where the last one ends:
    /// the one walk from line lengths to offsets, which the writer and replay slice requests by.
    private let lineStarts: [Int]
    private let maxSettleTime: Duration
    /// Unsettled ranges not in flight, the next one last.
    private var pending: [Range<Int>]
    /// The range `nextRequest` handed out and no reply has come for yet, and when it was sent.
    private var inFlight: (range: Range<Int>, sentAt: ContinuousClock.Instant)?
    private var settle: SettleBudget?

    /// Lines dead-lettered so far, in the order they were settled.
    public private(set) var rejected: [RejectedLine] = []
    /// Lines counted as rejected: every `rejected` and `unsettled` line, and for each partial write
    /// with unnamed drops, that many of its `possiblyStored` lines.
    public private(set) var rejectedCount = 0
    /// Requests `nextRequest` handed out, failed ones included.
    public private(set) var requestCount = 0
    /// Requests the server answered for the data (accepted, rejected or too large).
    public private(set) var answeredCount = 0

    /// A delivery for a batch whose lines have these lengths in bytes (newline included).
    ///
    /// - Parameter maxSettleTime: the settle budget's time (`delivery.max_settle_time`), at least zero.
    public init(lineLengths: [Int], maxSettleTime: Duration) {
        var starts = [0]
        starts.reserveCapacity(lineLengths.count + 1)
        for length in lineLengths { starts.append(starts[starts.count - 1] + length) }
        self.lineStarts = starts
        self.maxSettleTime = max(maxSettleTime, .zero)
        self.pending = lineLengths.isEmpty ? [] : [0..<lineLengths.count]
    }

    /// The most answered requests a batch of `lines` lines may take after its first rejection:
    /// 16 × (⌈log2 lines⌉ + 1); 16 for one line, 224 for 5,000.
    public static func settleRequestLimit(lines: Int) -> Int {
        let log2 = lines > 1 ? Int.bitWidth - (lines - 1).leadingZeroBitCount : 0
        return 16 * (log2 + 1)
    }

    /// Whether every line is stored or dead-lettered.
    public var isComplete: Bool { pending.isEmpty && inFlight == nil }

    /// The unsettled ranges, in batch order (for checks; the one in flight included).
    public var unsettled: [Range<Int>] {
        (pending + (inFlight.map { [$0.range] } ?? [])).sorted { $0.lowerBound < $1.lowerBound }
    }

    /// Whether the settle budget started (the batch had a rejection).
    public var settleStarted: Bool { settle != nil }

    /// The lines the next request carries: the first unsettled range, cut to at most `maxLines`
    /// lines and `maxBytes` bytes (always at least one line). Nil when complete, including when
    /// the settle budget ran out at `now` and every unsettled line was just dead-lettered.
    /// A request still in flight counts as failed and is handed out again.
    public mutating func nextRequest(maxLines: Int, maxBytes: Int, now: ContinuousClock.Instant) -> Range<Int>? {
        if let previous = inFlight {
            pending.append(previous.range)
            inFlight = nil
            settle?.requestFailed()
        }
        if let settle, settle.isSpent(at: now, maxTime: maxSettleTime, maxRequests: limit) {
            rejectUnsettled(reason: settle.lastReason, status: settle.lastStatus)
            return nil
        }
        guard let range = pending.popLast() else { return nil }
        var end = range.lowerBound
        var bytes = 0
        while end < range.upperBound && end - range.lowerBound < max(1, maxLines) {
            let length = lineStarts[end + 1] - lineStarts[end]
            if end > range.lowerBound && bytes + length > maxBytes { break }
            bytes += length
            end += 1
        }
        if end < range.upperBound { pending.append(end..<range.upperBound) }
        inFlight = (range.lowerBound..<end, now)
        requestCount += 1
        return range.lowerBound..<end
    }

    /// The bytes the lines in `range` take.
    public func byteCount(of range: Range<Int>) -> Int {
        byteRange(of: range).count
    }

    /// Where the lines in `range` are in the batch's bytes (its lines back to back, in order):
    /// a request's body is that slice, and a line's is its own range less the newline.
    public func byteRange(of range: Range<Int>) -> Range<Int> {
        lineStarts[range.lowerBound]..<lineStarts[range.upperBound]
    }

    /// Moves on with the reply to the request in flight (nothing happens when none is).
    ///
    /// - Parameters:
    ///   - outcome: the classified reply.
    ///   - request: the request's bytes, which a 1.x partial write is matched against; bytes that
    ///     do not match the range's length leave every dropped line unnamed.
    ///   - now: when the reply came.
    public mutating func receive(_ outcome: WriteOutcome, request: ArraySlice<UInt8>, now: ContinuousClock.Instant) {
        guard let (range, sentAt) = inFlight else { return }
        inFlight = nil
        switch outcome {
        case .accepted:
            answered(range, sentAt: sentAt, now: now)
        case .partiallyAccepted(let status, let failures):
            answered(range, sentAt: sentAt, now: now)
            rejectionReceived(status: status, reason: failures.first?.message ?? "", now: now)
            var seen: Set<Int> = []
            for failure in failures where failure.lineNumber >= 1 && failure.lineNumber <= range.count {
                // Checked against the range first: a line number near Int.max cannot overflow.
                let index = range.lowerBound + (failure.lineNumber - 1)
                guard seen.insert(index).inserted else { continue }
                reject(index, reason: failure.message, status: status, kind: .rejected)
            }
        case .partiallyWritten(let status, let report):
            answered(range, sentAt: sentAt, now: now)
            rejectionReceived(status: status, reason: report.message, now: now)
            settlePartialWrite(report, status: status, range: range, request: request)
        case .rejected(let status, let message):
            answered(range, sentAt: sentAt, now: now)
            rejectionReceived(status: status, reason: message, now: now)
            splitOrReject(range, reason: message, status: status)
        case .tooLarge:
            answered(range, sentAt: sentAt, now: now)
            splitOrReject(range, reason: "the line alone is larger than the server accepts (HTTP 413)", status: 413)
        case .configurationError, .throttled, .retryable:
            pending.append(range)
            settle?.requestFailed()
        }
    }

    // MARK: - Private

    private var limit: Int { Self.settleRequestLimit(lines: lineStarts.count - 1) }

    private mutating func answered(_ range: Range<Int>, sentAt: ContinuousClock.Instant, now: ContinuousClock.Instant) {
        answeredCount += 1
        settle?.answered(sentAt: sentAt, now: now)
    }

    /// A 400/422, after `answered`: starts the settle budget at the first (its own request is not
    /// counted), and keeps the reason for what runs out.
    private mutating func rejectionReceived(status: Int, reason: String, now: ContinuousClock.Instant) {
        if settle == nil {
            settle = SettleBudget(lastAnswer: now, lastReason: reason, lastStatus: status)
        }
        settle?.lastReason = reason
        settle?.lastStatus = status
    }

    private mutating func reject(_ index: Int, reason: String, status: Int?, kind: RejectedLine.Kind) {
        rejected.append(RejectedLine(index: index, reason: reason, status: status, kind: kind))
        if kind != .possiblyStored { rejectedCount += 1 }
    }

    private mutating func splitOrReject(_ range: Range<Int>, reason: String, status: Int) {
        if range.count == 1 {
            reject(range.lowerBound, reason: reason, status: status, kind: .rejected)
            return
        }
        let middle = range.lowerBound + range.count / 2
        pending.append(middle..<range.upperBound)
        pending.append(range.lowerBound..<middle)
    }

    private mutating func settlePartialWrite(
        _ report: PartialWrite,
        status: Int,
        range: Range<Int>,
        request: ArraySlice<UInt8>
    ) {
        var identification: PartialWrite.Identification
        if request.count == byteCount(of: range) {
            // The request's bytes are the range's, wherever its slice starts.
            let shift = request.startIndex - lineStarts[range.lowerBound]
            let lines = range.map { index in
                let line = byteRange(of: index..<(index + 1))
                return request[(line.lowerBound + shift)..<(line.upperBound + shift)]
            }
            identification = report.identify(lines)
        } else {
            identification = PartialWrite.Identification(
                candidates: Array(0..<range.count),
                unnamed: min(report.dropped, range.count)
            )
        }
        for offset in identification.dropped where offset >= 0 && offset < range.count {
            reject(range.lowerBound + offset, reason: report.message, status: status, kind: .rejected)
        }
        let candidates = identification.candidates.filter { $0 >= 0 && $0 < range.count }
        guard identification.unnamed > 0, !candidates.isEmpty else { return }
        let reason =
            "\(report.message) [possibly stored: InfluxDB dropped \(identification.unnamed) of these "
            + "\(candidates.count) lines without naming them]"
        for offset in candidates {
            reject(range.lowerBound + offset, reason: reason, status: status, kind: .possiblyStored)
        }
        rejectedCount += min(identification.unnamed, candidates.count)
    }

    /// The settle budget ran out: every unsettled line goes with the server's last reason.
    private mutating func rejectUnsettled(reason: String, status: Int) {
        let marked = "\(reason) [unsettled: the batch's settle budget ran out before this line was isolated]"
        for range in pending.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            for index in range { reject(index, reason: marked, status: status, kind: .unsettled) }
        }
        pending.removeAll()
    }
}

/// What a batch has spent of its settle budget since its first rejection.
private struct SettleBudget: Sendable {
    /// Time answered requests took, up to `lastAnswer`.
    var spent: Duration = .zero
    /// Answered requests after the first rejection's.
    var requests = 0
    /// The last answer, nil after a failure: the clock then restarts at the next request's sending.
    var lastAnswer: ContinuousClock.Instant?
    var lastReason: String
    var lastStatus: Int

    init(lastAnswer: ContinuousClock.Instant, lastReason: String, lastStatus: Int) {
        self.lastAnswer = lastAnswer
        self.lastReason = lastReason
        self.lastStatus = lastStatus
    }

    mutating func answered(sentAt: ContinuousClock.Instant, now: ContinuousClock.Instant) {
        // A clock stepped backwards (only a test can do that) spends nothing.
        spent += max(.zero, now - (lastAnswer ?? sentAt))
        requests += 1
        lastAnswer = now
    }

    mutating func requestFailed() {
        lastAnswer = nil
    }

    func isSpent(at now: ContinuousClock.Instant, maxTime: Duration, maxRequests: Int) -> Bool {
        let running = lastAnswer.map { max(.zero, now - $0) } ?? .zero
        return requests >= maxRequests || spent + running >= maxTime
    }
}
