// iotflow-bridge: one HTTP request as the fake InfluxDB server received it.
// SPDX-License-Identifier: Apache-2.0

/// A complete request received by `FakeInfluxServer`, recorded before the responder runs.
public struct RecordedRequest: Sendable, Hashable {
    /// The method as sent, such as `POST`.
    public var method: String
    /// The request target without the query string, still percent-encoded, such as `/api/v2/write`.
    public var path: String
    /// Query parameters, percent-decoded with `+` read as a space, as Go's `url.Values` (and so InfluxDB) reads
    /// them. For a repeated name the first value wins, like `url.Values.Get`.
    public var query: [String: String]
    /// Header fields with lowercased names; repeated fields are joined with ", ".
    public var headers: [String: String]
    /// The body exactly as received, after removing chunked transfer coding but before any gunzip.
    public var body: [UInt8]
    /// The body as UTF-8 text (invalid bytes replaced), gunzipped first when `Content-Encoding` is `gzip` or
    /// `x-gzip`. Empty if the gzip stream was corrupt; `body` still has the bytes.
    public var decodedBody: String
    /// When the last byte of the request arrived.
    public var receivedAt: ContinuousClock.Instant
    /// Numbers the TCP connections in the order accepted, from 1; equal IDs mean a keep-alive reuse.
    public var connectionID: Int

    /// Creates a request, mainly for calling a responder directly in unit tests.
    public init(
        method: String,
        path: String,
        query: [String: String] = [:],
        headers: [String: String] = [:],
        body: [UInt8] = [],
        decodedBody: String = "",
        receivedAt: ContinuousClock.Instant = .now,
        connectionID: Int = 0
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.decodedBody = decodedBody
        self.receivedAt = receivedAt
        self.connectionID = connectionID
    }

    /// The lines of `decodedBody`, without empty ones: one line-protocol point each.
    public var lines: [Substring] {
        decodedBody.split(separator: "\n", omittingEmptySubsequences: true)
    }
}
