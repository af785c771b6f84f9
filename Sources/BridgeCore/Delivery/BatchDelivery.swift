// iotflow-bridge: delivering one batch through splits and salvage until every line is settled.
// SPDX-License-Identifier: Apache-2.0

/// A line the server refused for good, bound for the dead-letter file.
public struct RefusedLine: Equatable, Sendable {
    /// The line's index in the batch (0-based).
    public var index: Int
    /// The server's reason.
    public var reason: String

    /// A refused line.
    public init(index: Int, reason: String) {
        self.index = index
        self.reason = reason
    }
}

/// The delivery of one batch, as a pure state machine the writer drives.
///
/// The batch stays at the front of the buffer until every line is settled: stored, or refused
/// with the server's reason. Each request sends a contiguous range of lines (`nextRequest`); the
/// reply moves the machine on:
///
/// | reply | effect |
/// |---|---|
/// | accepted | the range is settled |
/// | partially accepted (v3 line numbers) | the listed lines are refused, the rest settled |
/// | rejected without line numbers | the range is split in halves and each is sent again; a single line is refused |
/// | too large (413) | the range is split in halves; a single line is refused |
/// | anything else | nothing changes: the same range is sent again after the backoff |
///
/// Bisection is bounded: k bad lines among n take at most 2k·⌈log2 n⌉ extra requests, and a batch
/// of n lines never takes more than 2n − 1 requests. Resending lines InfluxDB 1.x already stored
/// in a partial write is harmless: identical points overwrite. Ranges are sent in batch order.
public struct BatchDelivery: Sendable {
    private let lineLengths: [Int]
    /// Unsettled ranges, the next one last.
    private var pending: [Range<Int>]
    /// Lines refused so far, in the order the server refused them.
    public private(set) var refused: [RefusedLine] = []
    /// Requests made so far.
    public private(set) var requestCount = 0

    /// A delivery for a batch whose lines have these lengths in bytes.
    public init(lineLengths: [Int]) {
        self.lineLengths = lineLengths
        self.pending = lineLengths.isEmpty ? [] : [0..<lineLengths.count]
    }

    /// Whether every line is stored or refused.
    public var isComplete: Bool { pending.isEmpty }

    /// The lines the next request carries: the first unsettled range, cut to at most `maxLines`
    /// lines and `maxBytes` bytes (always at least one line). Nil when complete.
    public mutating func nextRequest(maxLines: Int, maxBytes: Int) -> Range<Int>? {
        guard let range = pending.popLast() else { return nil }
        var end = range.lowerBound
        var bytes = 0
        while end < range.upperBound && end - range.lowerBound < max(1, maxLines) {
            if end > range.lowerBound && bytes + lineLengths[end] > maxBytes { break }
            bytes += lineLengths[end]
            end += 1
        }
        if end < range.upperBound { pending.append(end..<range.upperBound) }
        pending.append(range.lowerBound..<end)
        requestCount += 1
        return range.lowerBound..<end
    }

    /// The bytes the lines in `range` take.
    public func byteCount(of range: Range<Int>) -> Int {
        lineLengths[range].reduce(0, +)
    }

    /// The request `nextRequest` returned was stored.
    public mutating func requestAccepted() {
        _ = pending.popLast()
    }

    /// The server refused the request's data without saying which lines.
    public mutating func requestRejected(reason: String) {
        splitOrRefuse(reason: reason)
    }

    /// The server refused some of the request's lines (1-based numbers within the request).
    public mutating func requestPartiallyAccepted(_ failures: [LineFailure]) {
        guard let range = pending.popLast() else { return }
        var seen: Set<Int> = []
        for failure in failures {
            let index = range.lowerBound + failure.lineNumber - 1
            guard range.contains(index), seen.insert(index).inserted else { continue }
            refused.append(RefusedLine(index: index, reason: failure.message))
        }
    }

    /// The server refused the request as too large.
    public mutating func requestTooLarge() {
        splitOrRefuse(reason: "the line alone is larger than the server accepts (HTTP 413)")
    }

    private mutating func splitOrRefuse(reason: String) {
        guard let range = pending.popLast() else { return }
        if range.count == 1 {
            refused.append(RefusedLine(index: range.lowerBound, reason: reason))
            return
        }
        let middle = range.lowerBound + range.count / 2
        pending.append(middle..<range.upperBound)
        pending.append(range.lowerBound..<middle)
    }
}
