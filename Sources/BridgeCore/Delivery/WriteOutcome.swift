// iotflow-bridge: what a write attempt's reply means for the lines it carried.
// SPDX-License-Identifier: Apache-2.0

/// One line the server refused, as InfluxDB 3 reports it (`data[]` of a partial write).
public struct LineFailure: Equatable, Sendable {
    /// 1-based line number within the request body.
    public var lineNumber: Int
    /// The server's reason for this line.
    public var message: String

    /// A refused line.
    public init(lineNumber: Int, message: String) {
        self.lineNumber = lineNumber
        self.message = message
    }
}

/// What the writer does after a write attempt, decided from the status code and, where the
/// server gives one, the structured error body; never by matching free text, except where a
/// protocol has no other signal: InfluxDB 1.x's `partial write: … dropped=N` (`PartialWrite`) and
/// its 500 "retention policy not found" (REFERENCE.md §B.5, telegraf's `http.go` table).
///
/// Any status, body and `Retry-After` classify without trapping: unknown statuses are retryable,
/// bodies that are not the expected JSON are messages, and a `Retry-After` of 0 or less is none.
public enum WriteOutcome: Equatable, Sendable {
    /// 2xx: every line was stored.
    case accepted
    /// 400/422 from InfluxDB 3 with `data[]`: the listed lines were refused, every other line
    /// was stored (the bridge writes with `accept_partial=true`).
    case partiallyAccepted(status: Int, failures: [LineFailure])
    /// 400 from InfluxDB 1.x (or 422 from 2.x) reading `partial write: … dropped=N`: N points
    /// were dropped and every other point of the request was stored, so it is never sent again.
    case partiallyWritten(status: Int, report: PartialWrite)
    /// 400/422 without line numbers (InfluxDB 2.x parse errors, VictoriaMetrics, 1.x when no
    /// line parsed): nothing was stored and sending the same bytes again gets the same answer,
    /// so the writer isolates the bad lines by splitting the request.
    case rejected(status: Int, message: String)
    /// 401/403/404, other 4xx, and 1.x's 500 "retention policy not found": the bridge's
    /// token, database or URL is wrong. The data is kept; only an operator can fix it.
    case configurationError(status: Int, message: String)
    /// 413: the body is larger than the server takes; split it.
    case tooLarge
    /// 429/503: the server asks for less; wait at least `retryAfter` when it says so.
    case throttled(status: Int, retryAfter: Duration?, message: String)
    /// 408, other 5xx, or no reply at all (refused, reset, timed out): retry with backoff.
    case retryable(status: Int?, message: String)

    /// Classifies a reply; `status` nil means none arrived and `body` then holds the
    /// transport's error text.
    public init(status: Int?, body: [UInt8], retryAfterSeconds: Int? = nil) {
        let message = ErrorBody.message(in: body)
        guard let status else {
            self = .retryable(status: nil, message: message)
            return
        }
        switch status {
        case 200..<300:
            self = .accepted
        case 400, 422:
            if let failures = ErrorBody.lineFailures(in: body), !failures.isEmpty {
                self = .partiallyAccepted(status: status, failures: failures)
            } else if let report = PartialWrite(message: message) {
                self = .partiallyWritten(status: status, report: report)
            } else {
                self = .rejected(status: status, message: message)
            }
        case 413:
            self = .tooLarge
        case 429, 503:
            // A delay of 0 or less asks for nothing; RetryPolicy caps a huge one.
            let retryAfter = retryAfterSeconds.flatMap { $0 > 0 ? Duration.seconds($0) : nil }
            self = .throttled(status: status, retryAfter: retryAfter, message: message)
        case 408:
            self = .retryable(status: status, message: message)
        case 500 where message.contains("retention policy not found"):
            // InfluxDB 1.x answers an unknown `rp` with 500 (REFERENCE.md §B.1): a configuration error.
            self = .configurationError(status: status, message: message)
        case 400..<500:
            // 401/403/404 and the rest (405 from a wrong path, …): retrying or splitting cannot
            // help and the data is not at fault, so keep it and tell the operator.
            self = .configurationError(status: status, message: message)
        default:
            self = .retryable(status: status, message: message)
        }
    }
}

extension WriteOutcome {
    /// Whether the server refused data because a field already has another type: 1.x/2.x
    /// `field type conflict`, or an InfluxDB 3 line failing with `invalid column type`. The
    /// mapping then has reason to re-read the schema.
    public var isFieldTypeConflict: Bool {
        switch self {
        case .partiallyWritten(_, let report):
            if case .fieldTypeConflict = report.cause { return true }
            return false
        case .partiallyAccepted(_, let failures):
            return failures.contains { $0.message.hasPrefix("invalid column type") }
        default:
            return false
        }
    }
}

/// The error bodies of the three APIs.
enum ErrorBody {
    /// The human-readable message: v1 `{"error": …}`, v2 `{"code": …, "message": …}`, v3
    /// `{"error": …, "data": …}`, or the body itself when it is not JSON (VictoriaMetrics, proxies).
    static func message(in body: [UInt8]) -> String {
        guard case .object(let members)? = try? JSONParser().parse(body) else {
            return String(decoding: body.prefix(1024), as: UTF8.self)
        }
        for key in ["message", "error"] {
            if case .string(let text)? = members.last(where: { $0.key == key })?.value { return text }
        }
        return String(decoding: body.prefix(1024), as: UTF8.self)
    }

    /// InfluxDB 3's per-line errors: `"data": [{"original_line", "line_number", "error_message"}]`.
    /// With `accept_partial=false` `data` is one object (the first error) and nothing was stored,
    /// so only the array form counts as a partial write.
    static func lineFailures(in body: [UInt8]) -> [LineFailure]? {
        guard case .object(let members)? = try? JSONParser().parse(body),
            case .array(let items)? = members.last(where: { $0.key == "data" })?.value
        else { return nil }
        var failures: [LineFailure] = []
        for item in items {
            guard case .object(let fields) = item,
                case .number(let number)? = fields.last(where: { $0.key == "line_number" })?.value,
                let lineNumber = number.exactInteger, lineNumber >= 1
            else { return nil }
            var message = ""
            if case .string(let text)? = fields.last(where: { $0.key == "error_message" })?.value { message = text }
            failures.append(LineFailure(lineNumber: Int(lineNumber), message: message))
        }
        return failures
    }
}
