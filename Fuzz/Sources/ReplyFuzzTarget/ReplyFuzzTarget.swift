// iotflow-bridge: libFuzzer entry point: any server reply moves a batch on consistently, never traps.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

/// Replays one batch's delivery against replies taken from the input: status, body and
/// `Retry-After` → `WriteOutcome` (the classifier all three APIs share) → `BatchDelivery`, with a
/// manual clock. Bodies are either raw bytes or one of the three APIs' error shapes filled with
/// input values (v1 partial writes naming lines, v2 codes, v3 `data[]` with any line number),
/// so the fuzzer reaches the structured branches without first having to discover JSON.
///
/// Input: `n` (2 bytes: lines, 1…256), the lines' shape (1 byte), the settle time (1 byte, in
/// 250 ms steps), then steps of `maxLines`, `maxBytes`, the time the reply took, a reply kind and
/// its fields, until the input ends; then every request is rejected until the batch completes.
///
/// Besides "never crash, never hang", every step must keep the delivery consistent; a violation
/// traps, which libFuzzer reports with the input: a line settled twice or brought back, a request
/// or a refused index outside the unsettled lines or the batch, more answered requests than the
/// documented bounds (2n − 1 in all, `settleRequestLimit` after the first rejection), a request
/// handed out after the settle time ran out, or a batch left incomplete.
@_cdecl("LLVMFuzzerTestOneInput")
public func replyFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = Input(bytes: UnsafeRawBufferPointer(start: data, count: size))
    let count = 1 + Int(input.uint16()) % 256
    let lines = makeLines(count: count, shape: input.byte())
    let maxSettleTime = Duration.milliseconds(250 * Int(input.byte() % 241))
    var run = Run(lines: lines, maxSettleTime: maxSettleTime)
    var sizeLimit = RequestSizeLimit(ceiling: 1 << 20)
    let retry = RetryPolicy()
    var steps = 0
    while !input.isAtEnd && steps < 4 * count + 64 {
        steps += 1
        let maxLines = input.byte() == 0 ? Int.max : Int(input.byte())
        let maxBytes = input.byte() == 0 ? Int.max : 8 * Int(input.uint16())
        guard let range = run.next(maxLines: maxLines, maxBytes: min(maxBytes, sizeLimit.current)) else { break }
        let outcome = reply(to: range, of: lines, from: &input)
        switch outcome {
        case .throttled(_, let retryAfter, _):
            _ = retry.delay(afterFailures: Int(input.byte()), retryAfter: retryAfter, random: 0.5)
        case .tooLarge:
            sizeLimit.tooLarge(bytes: run.delivery.byteCount(of: range))
        case .accepted:
            sizeLimit.accepted(bytes: run.delivery.byteCount(of: range))
        default:
            break
        }
        _ = outcome.isFieldTypeConflict
        // Now and then the request's bytes do not match its range: nothing may trap either way.
        let request = input.byte() == 255 ? lines.request(range).dropLast() : lines.request(range)
        run.receive(outcome, request: request, took: .milliseconds(Int(input.uint16())))
    }
    run.rejectUntilComplete()
    return 0
}

/// The delivery under test and what the checks remember about it.
private struct Run {
    let lines: Lines
    let maxSettleTime: Duration
    var delivery: BatchDelivery
    var now = ContinuousClock.Instant.now
    /// Lines that left the unsettled set; they may never come back.
    var settled: [Bool]
    /// When the first rejection came, and the answered requests then.
    var firstRejection: (at: ContinuousClock.Instant, answered: Int)?
    var failedSinceFirstRejection = false

    init(lines: Lines, maxSettleTime: Duration) {
        self.lines = lines
        self.maxSettleTime = maxSettleTime
        delivery = BatchDelivery(lineLengths: lines.lengths, maxSettleTime: maxSettleTime)
        settled = Array(repeating: false, count: lines.lengths.count)
    }

    var limit: Int { BatchDelivery.settleRequestLimit(lines: settled.count) }

    mutating func next(maxLines: Int, maxBytes: Int) -> Range<Int>? {
        let range = delivery.nextRequest(maxLines: maxLines, maxBytes: maxBytes, now: now)
        if let first = firstRejection, !failedSinceFirstRejection, now - first.at >= maxSettleTime {
            require(range == nil, "a request after the settle time ran out")
        }
        if let range {
            require(!range.isEmpty && range.count <= max(1, maxLines), "request \(range) for maxLines \(maxLines)")
            require(
                delivery.unsettled.contains { $0.contains(range.lowerBound) && $0.upperBound >= range.upperBound },
                "request \(range) is not unsettled: \(delivery.unsettled)"
            )
        } else {
            require(delivery.isComplete, "no request, yet incomplete: \(delivery.unsettled)")
        }
        check()
        return range
    }

    mutating func receive(_ outcome: WriteOutcome, request: ArraySlice<UInt8>, took: Duration) {
        now += took
        let started = delivery.settleStarted
        delivery.receive(outcome, request: request, now: now)
        if !started && delivery.settleStarted {
            firstRejection = (now, delivery.answeredCount)
        }
        switch outcome {
        case .configurationError, .throttled, .retryable:
            if firstRejection != nil { failedSinceFirstRejection = true }
        default:
            break
        }
        check()
    }

    /// A server that rejects everything from now on: the batch must complete within the limit.
    mutating func rejectUntilComplete() {
        var requests = 0
        while let range = next(maxLines: .max, maxBytes: .max) {
            requests += 1
            require(requests <= limit + 1, "\(requests) requests after the input ended, limit \(limit)")
            receive(.rejected(status: 400, message: "final"), request: lines.request(range), took: .milliseconds(1))
        }
        require(delivery.isComplete && delivery.unsettled.isEmpty, "incomplete at the end")
        require(settled.allSatisfy { $0 }, "a line was never settled")
    }

    private mutating func check() {
        let count = settled.count
        var unsettled = Array(repeating: false, count: count)
        for range in delivery.unsettled {
            require(!range.isEmpty && range.lowerBound >= 0 && range.upperBound <= count, "range \(range) of \(count)")
            for index in range {
                require(!unsettled[index], "line \(index) unsettled twice")
                require(!settled[index], "line \(index) settled, then brought back")
                unsettled[index] = true
            }
        }
        for index in 0..<count where !unsettled[index] { settled[index] = true }
        var refused = Array(repeating: false, count: count)
        for line in delivery.refused {
            require(line.index >= 0 && line.index < count, "refused index \(line.index) of \(count)")
            require(!refused[line.index], "line \(line.index) refused twice")
            require(!unsettled[line.index], "line \(line.index) refused while unsettled")
            refused[line.index] = true
        }
        require(delivery.rejectedCount <= delivery.refused.count, "more rejected than dead-lettered")
        require(delivery.answeredCount <= 2 * count - 1, "\(delivery.answeredCount) answered for \(count) lines")
        require(delivery.requestCount >= delivery.answeredCount, "more answers than requests")
        if let first = firstRejection {
            require(delivery.answeredCount - first.answered <= limit, "more than \(limit) requests after a rejection")
        }
    }
}

/// The batch: line protocol as the bridge writes it, in shapes the partial-write matcher cares
/// about (escaped names, four value types, repeated timestamps).
private struct Lines {
    var texts: [[UInt8]]
    var body: [UInt8]
    var starts: [Int]
    var lengths: [Int]

    func request(_ range: Range<Int>) -> ArraySlice<UInt8> { body[starts[range.lowerBound]..<starts[range.upperBound]] }
}

private let measurements = ["m", "env", #"le\,gacy"#]
private let keys = ["v", "t", #"te\ mp"#]
private let values = ["1.5", "2i", "true", #""x \"y\" z""#]

private func makeLines(count: Int, shape: UInt8) -> Lines {
    let shape = Int(shape)
    let texts = (0..<count).map { index -> [UInt8] in
        let measurement = measurements[(index * 7 + shape) % measurements.count]
        let key = keys[(index + shape) % keys.count]
        let value = values[(index * 3 + shape / 3) % values.count]
        let timestamp = 1_000 + (index * 37 + shape) % (1 + shape % 64)
        return Array("\(measurement),device_id=d\(index) \(key)=\(value) \(timestamp)\n".utf8)
    }
    var starts = [0]
    for text in texts { starts.append(starts[starts.count - 1] + text.count) }
    return Lines(texts: texts, body: Array(texts.joined()), starts: starts, lengths: texts.map(\.count))
}

/// A reply from the input, classified as the transport would classify it.
private func reply(to range: Range<Int>, of lines: Lines, from input: inout Input) -> WriteOutcome {
    let kind = input.byte() % 12
    var retryAfter: Int? = nil
    let status: Int?
    var body: [UInt8]
    switch kind {
    case 0:
        status = nil
        body = input.bytes(Int(input.byte()))
    case 1:
        status = Int(Int16(truncatingIfNeeded: input.uint16()))
        body = input.bytes(Int(input.byte()))
        retryAfter = Int(input.edgeInt64())
    case 2:
        status = 204
        body = []
    case 3:
        status = 400
        body = v1Error("partial write: points beyond retention policy dropped=\(input.edgeInt64())")
    case 4:
        let named = lines.texts[range.lowerBound + Int(input.byte()) % range.count]
        let text = String(decoding: named, as: UTF8.self)
        let measurement = text.prefix { $0 != "," }.replacingBackslashes()
        let field = text.split(separator: " ", maxSplits: 2).dropFirst().first?.prefix { $0 != "=" } ?? ""
        let type = ["float", "integer", "boolean", "string", "unsigned"][Int(input.byte()) % 5]
        body = v1Error(
            #"partial write: field type conflict: input field \"\#(field)\" on measurement \"\#(measurement)\" is type \#(type), already exists as type float dropped=\#(input.byte())"#
        )
        status = 400
    case 5:
        var quoted: [String] = []
        for _ in 0..<(Int(input.byte()) % 4) {
            let line = lines.texts[range.lowerBound + Int(input.byte()) % range.count].dropLast()
            quoted.append("unable to parse '\(String(decoding: line, as: UTF8.self).escapedForJSON())': bad")
        }
        status = 400
        body = v1Error("partial write: \(quoted.joined(separator: "\\n")) dropped=\(input.byte() % 3)")
    case 6, 7:
        var failures: [String] = []
        for _ in 0..<(Int(input.byte()) % 5) {
            let number = kind == 6 ? "\(input.edgeInt64())" : "\(1 + Int(input.byte()) % (range.count + 2))"
            failures.append(#"{"original_line":"x","line_number":\#(number),"error_message":"invalid column type"}"#)
        }
        status = kind == 6 ? 400 : 422
        body = Array(
            #"{"error":"partial write of line protocol occurred","data":[\#(failures.joined(separator: ","))]}"#.utf8
        )
    case 8:
        status = 400
        body = Array(#"{"code":"invalid","message":"unable to parse 'x': missing fields"}"#.utf8)
    case 9:
        status = 422
        body = Array(
            #"{"code":"unprocessable entity","message":"failure writing points to database: partial write: points beyond retention policy dropped=\#(input.byte())"}"#
                .utf8
        )
    case 10:
        status = [413, 429, 503, 401, 404, 500, 408][Int(input.byte()) % 7]
        body = v1Error(status == 500 ? "retention policy not found: x" : "nope")
        retryAfter = Int(input.edgeInt64())
    default:
        status = 400
        body = Array("plain text from a proxy".utf8)
    }
    return WriteOutcome(status: status, body: body, retryAfterSeconds: retryAfter)
}

private func v1Error(_ message: String) -> [UInt8] {
    Array(#"{"error":"\#(message)"}"#.utf8)
}

extension StringProtocol {
    /// The text with `\` and `"` escaped for a JSON string.
    fileprivate func escapedForJSON() -> String {
        var out = ""
        for character in self {
            if character == "\\" || character == "\"" { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// The text with line-protocol escapes removed, as 1.x names a measurement.
    fileprivate func replacingBackslashes() -> String {
        String(filter { $0 != "\\" })
    }
}

/// Reads the fuzzer's bytes front to back; past the end every read is 0.
private struct Input {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint16() -> UInt16 { UInt16(byte()) | UInt16(byte()) << 8 }

    mutating func int64() -> Int64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) { value |= UInt64(byte()) << UInt64(shift) }
        return Int64(bitPattern: value)
    }

    /// Any 64-bit value, often one near the edges (Int64.max − k, Int64.min + k) or a small one.
    mutating func edgeInt64() -> Int64 {
        switch byte() % 4 {
        case 0: return .max - Int64(byte())
        case 1: return .min + Int64(byte())
        case 2: return Int64(Int8(bitPattern: byte()))
        default: return int64()
        }
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in byte() }
    }
}

private func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("reply fuzz invariant: \(message())") }
}
