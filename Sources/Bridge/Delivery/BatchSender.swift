// iotflow-bridge: one batch's requests: the lines `BatchDelivery` picks, sent, and what was rejected.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

/// One batch on its way to InfluxDB: its bytes and its `BatchDelivery`, with the one way to send
/// a request of it and the one way to turn its rejected lines into dead-letter records.
///
/// The writer and `dead-letters replay` both drive it. What each does around a request stays
/// its own: the writer's breaker, backoff, size limit, probe lines and logging; replay stopping
/// at the first failure that is not about the data.
struct BatchSender {
    /// The batch's lines back to back, each ending in `\n`.
    private let body: [UInt8]
    /// Where the batch stands.
    private(set) var delivery: BatchDelivery
    /// Rejected lines already handed out by `takeRejected`.
    private var taken = 0

    /// A batch of the lines in `body`, whose lengths (newline included) are `lineLengths`.
    init(body: [UInt8], lineLengths: [Int], maxSettleTime: Duration) {
        self.body = body
        delivery = BatchDelivery(lineLengths: lineLengths, maxSettleTime: maxSettleTime)
    }

    /// A batch of `lines`, each given without its newline.
    init(lines: [String], maxSettleTime: Duration) {
        let encoded = lines.map { Array(($0 + "\n").utf8) }
        self.init(body: Array(encoded.joined()), lineLengths: encoded.map(\.count), maxSettleTime: maxSettleTime)
    }

    /// Whether every line is stored or dead-lettered.
    var isComplete: Bool { delivery.isComplete }

    /// The lines the next request carries (`BatchDelivery.nextRequest`); nil when complete.
    mutating func nextRequest(maxLines: Int, maxBytes: Int, now: ContinuousClock.Instant) -> Range<Int>? {
        delivery.nextRequest(maxLines: maxLines, maxBytes: maxBytes, now: now)
    }

    /// Sends the lines of `range` (what `nextRequest` just returned) through `transport`, moves
    /// the delivery on with the reply, and returns the reply.
    mutating func send(_ range: Range<Int>, through transport: any InfluxTransport) -> WriteOutcome {
        let request = body[delivery.byteRange(of: range)]
        let outcome = transport.write(request)
        delivery.receive(outcome, request: request, now: .now)
        return outcome
    }

    /// The lines rejected since the last call, and their dead-letter records stamped `time`
    /// (nanoseconds since the epoch).
    mutating func takeRejected(at time: Int64) -> (lines: ArraySlice<RejectedLine>, records: [DeadLetter]) {
        let lines = delivery.rejected[taken...]
        taken = delivery.rejected.count
        let records = lines.map { line in
            let bytes = body[delivery.byteRange(of: line.index..<(line.index + 1))].dropLast()
            return DeadLetter(
                time: time,
                reason: line.reason,
                status: line.status,
                line: String(decoding: bytes, as: UTF8.self)
            )
        }
        return (lines, records)
    }
}
