// iotflow-bridge: classifying replies: accepted, rejected, kept, throttled, partial writes.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct WriteOutcomeTests {
    private static func outcome(_ status: Int?, _ body: String = "", retryAfter: Int? = nil) -> WriteOutcome {
        WriteOutcome(status: status, body: Array(body.utf8), retryAfterSeconds: retryAfter)
    }

    private static func partial(_ message: String) -> PartialWrite {
        PartialWrite(message: message)!
    }

    @Test(arguments: [
        (Int?(204), "", WriteOutcome.accepted),
        (200, "", .accepted),
        (
            400, #"{"error":"partial write: field type conflict: input field \"v\" dropped=1"}"#,
            .partiallyWritten(
                status: 400,
                report: partial(#"partial write: field type conflict: input field "v" dropped=1"#)
            )
        ),
        (
            400, #"{"code":"invalid","message":"unable to parse 'x': missing fields"}"#,
            .rejected(status: 400, message: "unable to parse 'x': missing fields")
        ),
        (
            422, #"{"code":"unprocessable entity","message":"partial write"}"#,
            .rejected(status: 422, message: "partial write")
        ),
        (400, "plain text from a proxy", .rejected(status: 400, message: "plain text from a proxy")),
        (401, "", .configurationError(status: 401, message: "")),
        (403, "", .configurationError(status: 403, message: "")),
        (
            404, #"{"error":"database not found: \"x\""}"#,
            .configurationError(status: 404, message: #"database not found: "x""#)
        ),
        (405, "", .configurationError(status: 405, message: "")),
        (
            500, #"{"error":"retention policy not found: rp"}"#,
            .configurationError(status: 500, message: "retention policy not found: rp")
        ),
        (500, #"{"error":"timeout"}"#, .retryable(status: 500, message: "timeout")),
        (502, "", .retryable(status: 502, message: "")),
        (408, "", .retryable(status: 408, message: "")),
        (413, "", .tooLarge),
        (nil, "Connection refused", .retryable(status: nil, message: "Connection refused")),
        (-1, "", .retryable(status: -1, message: "")),
        (Int.max, "", .retryable(status: Int.max, message: "")),
    ])
    func classifiesReplies(status: Int?, body: String, expected: WriteOutcome) {
        #expect(Self.outcome(status, body) == expected)
    }

    @Test func throttlingCarriesRetryAfterAndIgnoresNonsense() {
        #expect(
            Self.outcome(503, "busy", retryAfter: 5)
                == .throttled(status: 503, retryAfter: .seconds(5), message: "busy")
        )
        #expect(Self.outcome(429) == .throttled(status: 429, retryAfter: nil, message: ""))
        #expect(Self.outcome(429, retryAfter: 0) == .throttled(status: 429, retryAfter: nil, message: ""))
        #expect(Self.outcome(429, retryAfter: -5) == .throttled(status: 429, retryAfter: nil, message: ""))
        #expect(Self.outcome(429, retryAfter: .min) == .throttled(status: 429, retryAfter: nil, message: ""))
        // Huge values are kept and capped where they are used: the backoff waits 10 minutes at most.
        guard case .throttled(_, let huge?, _) = Self.outcome(503, retryAfter: .max) else {
            Issue.record("Retry-After: Int.max was dropped")
            return
        }
        #expect(RetryPolicy().delay(afterFailures: 1, retryAfter: huge, random: 0.5) == .seconds(600))
    }

    @Test func v3PartialWritesNameTheirLines() {
        let body = #"""
            {"error":"partial write of line protocol occurred","data":[
            {"original_line":"bad","line_number":2,"error_message":"No fields were provided"},
            {"original_line":"worse","line_number":5,"error_message":"invalid column type"}]}
            """#
        #expect(
            Self.outcome(400, body)
                == .partiallyAccepted(
                    status: 400,
                    failures: [
                        LineFailure(lineNumber: 2, message: "No fields were provided"),
                        LineFailure(lineNumber: 5, message: "invalid column type"),
                    ]
                )
        )
        // With accept_partial=false, data is one object and nothing was stored.
        let whole = #"{"error":"parsing failed for write_lp endpoint","data":{"line_number":1}}"#
        #expect(Self.outcome(400, whole) == .rejected(status: 400, message: "parsing failed for write_lp endpoint"))
    }

    @Test(arguments: ["9223372036854775807", "9223372036854775808", "-1", "0", "1e300", "\"2\"", "[]"])
    func v3LineNumbersOfAnySizeClassifyWithoutTrapping(lineNumber: String) {
        let body = #"{"error":"partial","data":[{"line_number":\#(lineNumber),"error_message":"x"}]}"#
        switch Self.outcome(400, body) {
        case .partiallyAccepted(_, let failures):
            // Only a positive whole number that fits in 64 bits is a line number.
            #expect(lineNumber == "9223372036854775807" && failures.first?.lineNumber == .max)
        case .rejected:
            #expect(lineNumber != "9223372036854775807")
        default:
            Issue.record("unexpected outcome")
        }
    }

    @Test func typeConflictsAreFlaggedForTheMapping() {
        let v1 =
            #"{"error":"partial write: field type conflict: input field \"t\" on measurement \"m\" is type boolean, already exists as type float dropped=1"}"#
        let v3 = #"{"error":"partial","data":[{"line_number":1,"error_message":"invalid column type for column 't'"}]}"#
        #expect(Self.outcome(400, v1).isFieldTypeConflict)
        #expect(Self.outcome(400, v3).isFieldTypeConflict)
        #expect(
            !Self.outcome(400, #"{"error":"partial write: points beyond retention policy dropped=1"}"#)
                .isFieldTypeConflict
        )
        #expect(!Self.outcome(400, "unable to parse").isFieldTypeConflict)
    }
}
