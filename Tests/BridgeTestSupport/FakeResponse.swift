// iotflow-bridge: scripted replies for the fake InfluxDB server, modelled on real servers' replies.
// SPDX-License-Identifier: Apache-2.0

/// What `FakeInfluxServer` sends back for one request.
///
/// The server adds `Content-Length` (except for 1xx, 204 and 304) and, when `closeConnection` is set,
/// `Connection: close`; everything else comes from here. The canned responses copy the bodies and headers
/// of real servers (REFERENCE.md B.1–B.3) so the bridge's response classification meets what it will meet
/// in production.
public struct FakeResponse: Sendable, Hashable {
    /// The HTTP status code.
    public var status: Int
    /// Extra header fields, written as given.
    public var headers: [String: String]
    /// The body, sent as UTF-8; dropped for 1xx, 204, 304 and `HEAD`.
    public var body: String
    /// Time to wait before replying, after the request was recorded; `nil` replies at once. The wait ends
    /// early when the server stops.
    public var delay: Duration?
    /// Close the TCP connection after this response instead of keeping it alive.
    public var closeConnection: Bool

    /// Creates a response; the defaults make a 204 with no body on a kept-alive connection.
    public init(
        status: Int = 204,
        headers: [String: String] = [:],
        body: String = "",
        delay: Duration? = nil,
        closeConnection: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.closeConnection = closeConnection
    }

    /// One rejected line in an InfluxDB 3 partial-write reply.
    public struct LineError: Sendable, Hashable {
        /// The line as sent.
        public var originalLine: String
        /// Its 1-based position in the request body.
        public var lineNumber: Int
        /// The parser's complaint.
        public var errorMessage: String

        /// Creates a line error.
        public init(originalLine: String, lineNumber: Int, errorMessage: String) {
            self.originalLine = originalLine
            self.lineNumber = lineNumber
            self.errorMessage = errorMessage
        }
    }

    // MARK: - Canned responses

    /// 204 No Content with no body: every InfluxDB version's and VictoriaMetrics' reply to an accepted write.
    public static let noContent = FakeResponse()

    /// The reply of an empty database to a schema query, for `/query` (InfluxQL `SHOW FIELD KEYS`)
    /// and `/api/v3/query_sql` (SQL rows); nil for any other path.
    public static func emptySchema(forPath path: String) -> FakeResponse? {
        let body: String
        switch path {
        case "/query": body = #"{"results":[{"statement_id":0}]}"#
        case "/api/v3/query_sql": body = "[]"
        default: return nil
        }
        return FakeResponse(status: 200, headers: ["Content-Type": "application/json"], body: body)
    }

    /// An InfluxDB 1.x error: `{"error":"<message>"}` with the same text in `X-Influxdb-Error`.
    ///
    /// For example 400 `unable to parse ...` or `partial write: ... dropped=N`, 404 `database not found: "x"`,
    /// 500 `retention policy not found: rp` (handler.go's `httpError`).
    public static func v1Error(status: Int, message: String) -> FakeResponse {
        FakeResponse(
            status: status,
            headers: [
                "Content-Type": "application/json",
                "X-Influxdb-Error": headerSafe(message),
            ],
            body: #"{"error":\#(jsonString(message))}"#
        )
    }

    /// An InfluxDB 2.x error: `{"code":"<code>","message":"<message>"}` with `X-Platform-Error-Code: <code>`.
    ///
    /// Codes pair with statuses as in 2.x's error handler: `invalid` 400, `unauthorized` 401, `forbidden`
    /// 403, `not found` 404, `request too large` 413, `unprocessable entity` 422, `too many requests` 429,
    /// `internal error` 500, `unavailable` 503.
    public static func v2Error(status: Int, code: String, message: String) -> FakeResponse {
        FakeResponse(
            status: status,
            headers: [
                "Content-Type": "application/json; charset=utf-8",
                "X-Platform-Error-Code": headerSafe(code),
            ],
            body: #"{"code":\#(jsonString(code)),"message":\#(jsonString(message))}"#
        )
    }

    /// InfluxDB 3's 400 reply to `/api/v3/write_lp` with `accept_partial=true` when some lines failed to
    /// parse: `{"error":"partial write of line protocol occurred","data":[{"original_line":..,
    /// "line_number":..,"error_message":..},..]}`. The other lines were written.
    public static func v3PartialWrite(_ errors: [LineError]) -> FakeResponse {
        let data = errors.map { error in
            #"{"original_line":\#(jsonString(error.originalLine)),"line_number":\#(error.lineNumber),"#
                + #""error_message":\#(jsonString(error.errorMessage))}"#
        }
        return FakeResponse(
            status: 400,
            headers: ["Content-Type": "application/json"],
            body: #"{"error":"partial write of line protocol occurred","data":[\#(data.joined(separator: ","))]}"#
        )
    }

    /// A throttling reply with `Retry-After: <seconds>` and a 2.x-style body: InfluxDB Cloud's 429 for a
    /// quota breach, or the 503 "temporarily unavailable, see Retry-After" that the 2.x docs describe.
    ///
    /// - Parameters:
    ///   - status: usually 429 or 503.
    ///   - seconds: the delay-seconds form of Retry-After, 0 or more.
    public static func retryAfter(status: Int = 429, seconds: Int) -> FakeResponse {
        let code = status == 429 ? "too many requests" : (status == 503 ? "unavailable" : "internal error")
        var response = v2Error(status: status, code: code, message: "retry after \(seconds) s")
        response.headers["Retry-After"] = String(seconds)
        return response
    }

    // MARK: - Modifiers

    /// This response, sent after `delay`.
    public func delayed(by delay: Duration) -> FakeResponse {
        var response = self
        response.delay = delay
        return response
    }

    /// This response, followed by closing the connection.
    public func closingConnection() -> FakeResponse {
        var response = self
        response.closeConnection = true
        return response
    }

    // MARK: - Private

    /// A JSON string literal for `text`, escaped as Go's encoding/json would (minus its HTML escaping).
    private static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// Header values cannot hold line breaks; flatten them so a multi-line message cannot split the header.
    private static func headerSafe(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
