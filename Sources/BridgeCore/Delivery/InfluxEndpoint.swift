// iotflow-bridge: the write URL and headers for each InfluxDB API.
// SPDX-License-Identifier: Apache-2.0

/// The request line and headers of a write, per API (ARCHITECTURE.md, "Writing to InfluxDB"):
///
/// | api | URL | Authorization |
/// |---|---|---|
/// | v1 | `<url>/write?db=<database>[&rp=<rp>]&precision=ns` | `Token <token>`, or Basic `username:password` |
/// | v2 | `<url>/api/v2/write?org=<org>&bucket=<bucket>&precision=ns` | `Token <token>` |
/// | v3 | `<url>/api/v3/write_lp?db=<database>&precision=ns&accept_partial=true` | `Bearer <token>` |
///
/// `precision=ns` is the one nanosecond token every target accepts (REFERENCE.md §A; 1.6 reads
/// unknown tokens as ns, and `us` there would silently mean ns). `accept_partial=true` is v3's
/// default, spelled out so the bridge never depends on a server default.
public struct InfluxEndpoint: Equatable, Sendable {
    /// The full write URL, query included.
    public let url: String
    /// The configured base URL, for logs (validation refuses URLs with credentials in them).
    public let baseURL: String
    /// Header lines (without CRLF), credentials included: never log them.
    public let headers: [String]

    /// The endpoint for a validated configuration.
    public init(configuration: InfluxConfiguration) {
        baseURL = configuration.url
        var base = Substring(configuration.url)
        while base.hasSuffix("/") { base = base.dropLast() }
        var query: [(String, String)]
        let path: String
        switch configuration.api {
        case .v1:
            path = "/write"
            query = [("db", configuration.database)]
            if let policy = configuration.retentionPolicy { query.append(("rp", policy)) }
            query.append(("precision", "ns"))
        case .v2:
            path = "/api/v2/write"
            query = [("org", configuration.org), ("bucket", configuration.bucket), ("precision", "ns")]
        case .v3:
            path = "/api/v3/write_lp"
            query = [("db", configuration.database), ("precision", "ns"), ("accept_partial", "true")]
        }
        let queryText = query.map { "\($0)=\(Self.percentEncoded($1))" }.joined(separator: "&")
        url = "\(base)\(path)?\(queryText)"

        var headers = ["Content-Type: text/plain; charset=utf-8"]
        if configuration.gzip { headers.append("Content-Encoding: gzip") }
        if let authorization = Self.authorization(configuration) { headers.append(authorization) }
        self.headers = headers
    }

    /// The `Authorization:` header line for the configuration's credentials (also used for the
    /// schema reads), or nil without credentials: never log it.
    static func authorization(_ configuration: InfluxConfiguration) -> String? {
        if let token = configuration.token {
            return "Authorization: \(configuration.api == .v3 ? "Bearer" : "Token") \(token.value)"
        }
        guard let username = configuration.username else { return nil }
        let credentials = "\(username):\(configuration.password?.value ?? "")"
        return "Authorization: Basic \(Base64.encode(Array(credentials.utf8)))"
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                output.unicodeScalars.append("%")
                output.unicodeScalars.append(hex[Int(byte >> 4)])
                output.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return output
    }
}
