// iotflow-bridge: the field types InfluxDB already holds, parsed from its schema replies.
// SPDX-License-Identifier: Apache-2.0

/// The field types InfluxDB holds, per measurement, as its schema query answered them.
///
/// Built on the schema reader's thread and handed whole to the MQTT thread's mapper. At most
/// `capacity` entries (`mapping.max_field_types`); the rest are counted in `omitted` and typed as
/// if the schema did not name them.
public struct FieldSchema: Equatable, Sendable {
    /// measurement → field → type, names as stored (unescaped).
    private var measurements: [String: [String: StoredFieldType]] = [:]
    /// The number of (measurement, field) entries.
    public private(set) var count = 0
    /// Rows left out because `capacity` was reached (a field listed with two types counts twice).
    public private(set) var omitted = 0
    /// The most entries kept.
    public let capacity: Int

    /// An empty schema holding at most `capacity` entries.
    public init(capacity: Int = .max) {
        self.capacity = capacity
    }

    /// The type of the field, if the schema names it.
    public func type(measurement: String, field: String) -> StoredFieldType? {
        measurements[measurement]?[field]
    }

    /// Adds an entry. InfluxDB 1.x lists a field once per type when shards disagree (a field is
    /// typed per shard); then `float` wins, as a number wins in the data, else the first listed.
    public mutating func add(_ type: StoredFieldType, measurement: String, field: String) {
        if let known = measurements[measurement]?[field] {
            if type == .float && known != .float { measurements[measurement]?[field] = .float }
            return
        }
        guard count < capacity else {
            omitted += 1
            return
        }
        measurements[measurement, default: [:]][field] = type
        count += 1
    }
}

/// What a schema query found.
public enum SchemaReply: Equatable, Sendable {
    /// The field types InfluxDB holds (empty for an empty database).
    case schema(FieldSchema)
    /// The sink keeps no field types (VictoriaMetrics answers `/query` with a list of databases):
    /// nothing to read, now or later.
    case noFieldTypes
    /// The read failed (unreachable, refused, an error in the reply); worth retrying later.
    case failed(String)
}

extension FieldSchema {
    /// Parses the reply to InfluxQL `SHOW FIELD KEYS` (InfluxDB 1.x, and 2.x / 3 through their
    /// v1-compatible `/query`):
    /// `{"results":[{"statement_id":0,"series":[{"name":"m","columns":["fieldKey","fieldType"],
    /// "values":[["temperature","float"],…]}]}]}`. An empty database has no `series`. A series
    /// with other columns means the server only imitates InfluxQL (VictoriaMetrics answers every
    /// `/query` with its databases): `noFieldTypes`.
    public static func parseInfluxQL(status: Int, body: [UInt8], capacity: Int) -> SchemaReply {
        guard (200..<300).contains(status) else { return .failed(httpFailure(status, body)) }
        guard let document = try? JSONParser(maxDepth: 8).parse(body), let results = document["results"]?.elements
        else { return .failed("the reply is not an InfluxQL result: \(excerpt(body))") }
        var schema = FieldSchema(capacity: capacity)
        for result in results {
            if case .string(let error)? = result["error"] { return .failed(error) }
            for series in result["series"]?.elements ?? [] {
                guard case .string(let measurement)? = series["name"],
                    series["columns"] == .array([.string("fieldKey"), .string("fieldType")])
                else { return .noFieldTypes }
                for row in series["values"]?.elements ?? [] {
                    guard case .array(let pair) = row, pair.count == 2, case .string(let field) = pair[0],
                        case .string(let name) = pair[1], let type = StoredFieldType(rawValue: name)
                    else { continue }
                    schema.add(type, measurement: measurement, field: field)
                }
            }
        }
        return .schema(schema)
    }

    /// Parses the JSON reply of InfluxDB 3's `/api/v3/query_sql` to `SELECT table_name,
    /// column_name, data_type FROM information_schema.columns WHERE table_schema = 'iox'`: an array
    /// of rows `{"table_name":"m","column_name":"temperature","data_type":"Float64"}`. `time` and
    /// tag columns (`Dictionary(Int32, Utf8)`) are not fields; Arrow types map as Float64 → float,
    /// Int64 → integer, UInt64 → unsigned, Utf8 (LargeUtf8, Utf8View) → string, Boolean → boolean.
    public static func parseSQL(status: Int, body: [UInt8], capacity: Int) -> SchemaReply {
        guard (200..<300).contains(status) else { return .failed(httpFailure(status, body)) }
        guard let document = try? JSONParser(maxDepth: 4).parse(body), let rows = document.elements else {
            return .failed("the reply is not a JSON array of rows: \(excerpt(body))")
        }
        var schema = FieldSchema(capacity: capacity)
        for row in rows {
            guard case .string(let table)? = row["table_name"], case .string(let column)? = row["column_name"],
                case .string(let arrowType)? = row["data_type"], column != "time",
                let type = storedType(arrowType: arrowType)
            else { continue }
            schema.add(type, measurement: table, field: column)
        }
        return .schema(schema)
    }

    private static func storedType(arrowType: String) -> StoredFieldType? {
        switch arrowType {
        case "Float64": .float
        case "Int64": .integer
        case "UInt64": .unsigned
        case "Utf8", "LargeUtf8", "Utf8View": .string
        case "Boolean": .boolean
        default: nil
        }
    }

    /// `HTTP 401: <the server's message>`, the message cut to 200 bytes.
    private static func httpFailure(_ status: Int, _ body: [UInt8]) -> String {
        let message: String
        if let document = try? JSONParser(maxDepth: 4).parse(body),
            case .string(let text)? = document["error"] ?? document["message"]
        {
            message = String(decoding: text.utf8.prefix(200), as: UTF8.self)
        } else {
            message = excerpt(body)
        }
        return message.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(message)"
    }

    private static func excerpt(_ body: [UInt8]) -> String {
        String(decoding: body.prefix(200), as: UTF8.self)
    }
}

extension JSONValue {
    /// The last member named `key`, when this is an object.
    fileprivate subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The elements, when this is an array.
    fileprivate var elements: [JSONValue]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }
}
