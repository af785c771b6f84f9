// iotflow-bridge: the request that reads the field types InfluxDB holds, per API.
// SPDX-License-Identifier: Apache-2.0

/// The schema query for the configured API, and how to read its reply:
///
/// | api | request | reply |
/// |---|---|---|
/// | v1 | `POST <url>/query?db=<database>&q=SHOW FIELD KEYS [FROM "<rp>"./.*/]` | InfluxQL |
/// | v2 | `POST <url>/query?db=<bucket>&q=SHOW FIELD KEYS` (the v1-compatible API) | InfluxQL |
/// | v3 | `POST <url>/api/v3/query_sql`, JSON `{"db":…,"q":"SELECT … information_schema.columns …"}` | rows |
///
/// Credentials as for writes (`InfluxEndpoint.authorization`): never log `headers`.
public struct SchemaRequest: Equatable, Sendable {
    /// How the reply is shaped.
    public enum Dialect: Equatable, Sendable {
        /// InfluxQL `SHOW FIELD KEYS` through `/query`.
        case influxQL
        /// SQL over `information_schema.columns` through `/api/v3/query_sql`.
        case sql
    }

    /// The full URL, query included.
    public let url: String
    /// Header lines (without CRLF), credentials included.
    public let headers: [String]
    /// The request body (empty for `/query`, which takes its parameters in the URL).
    public let body: [UInt8]
    /// How to parse the reply.
    public let dialect: Dialect

    /// The SQL that lists the columns of InfluxDB 3's tables.
    static let columnsQuery =
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'iox'"

    /// The request for a validated configuration.
    public init(configuration: InfluxConfiguration) {
        var base = Substring(configuration.url)
        while base.hasSuffix("/") { base = base.dropLast() }
        var headers: [String] = []
        switch configuration.api {
        case .v1, .v2:
            var statement = "SHOW FIELD KEYS"
            if configuration.api == .v1, let policy = configuration.retentionPolicy {
                statement += " FROM \(Self.quotedIdentifier(policy))./.*/"
            }
            let database = configuration.api == .v1 ? configuration.database : configuration.bucket
            let query = [("db", database), ("q", statement)]
                .map { "\($0)=\(InfluxEndpoint.percentEncoded($1))" }.joined(separator: "&")
            url = "\(base)/query?\(query)"
            body = []
            dialect = .influxQL
        case .v3:
            url = "\(base)/api/v3/query_sql"
            let json =
                "{\"db\":\(DeadLetter.quoted(configuration.database)),\"q\":\(DeadLetter.quoted(Self.columnsQuery)),"
                + "\"format\":\"json\"}"
            body = Array(json.utf8)
            headers.append("Content-Type: application/json")
            dialect = .sql
        }
        headers.append("Accept: application/json")
        if let authorization = InfluxEndpoint.authorization(configuration) { headers.append(authorization) }
        self.headers = headers
    }

    /// Reads the reply; at most `capacity` (measurement, field) entries are kept.
    public func reply(status: Int, body: [UInt8], capacity: Int) -> SchemaReply {
        switch dialect {
        case .influxQL: FieldSchema.parseInfluxQL(status: status, body: body, capacity: capacity)
        case .sql: FieldSchema.parseSQL(status: status, body: body, capacity: capacity)
        }
    }

    /// An InfluxQL identifier in double quotes, `\` and `"` escaped.
    static func quotedIdentifier(_ name: String) -> String {
        var quoted = "\""
        for character in name {
            if character == "\\" || character == "\"" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }
}
