// iotflow-bridge: one cell of an InfluxQL query result.
// SPDX-License-Identifier: Apache-2.0

/// A value from the `values` array of an InfluxDB 1.x `/query` response.
///
/// InfluxDB encodes a float with a whole value as a JSON integer (`1.0` is sent as `1`), so the JSON alone
/// cannot tell field types apart: such a float decodes as `.int`. Use `double` to read either kind as a
/// number, and `InfluxDB1Server.fieldTypes(measurement:database:)` when the stored type matters.
public enum InfluxValue: Sendable, Hashable, Decodable, CustomStringConvertible {
    /// A JSON string: string fields, tag values and keys from `SHOW` statements.
    case string(String)
    /// A JSON number with a fraction or exponent.
    case double(Double)
    /// A JSON number without a fraction that fits in 64 bits (integers, whole floats, `epoch=ns` times).
    case int(Int64)
    /// `true` or `false`.
    case bool(Bool)
    /// JSON `null`: a field missing from that row.
    case null

    /// Decodes from a single JSON value, trying the narrowest type first.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// The number as a `Double` for `.double` and `.int`; `nil` otherwise.
    public var double: Double? {
        switch self {
        case .double(let value): value
        case .int(let value): Double(value)
        default: nil
        }
    }

    /// The integer for `.int`; `nil` otherwise.
    public var int: Int64? {
        if case .int(let value) = self { value } else { nil }
    }

    /// The text for `.string`; `nil` otherwise.
    public var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The value as InfluxDB printed it, or `null`.
    public var description: String {
        switch self {
        case .string(let value): value
        case .double(let value): "\(value)"
        case .int(let value): "\(value)"
        case .bool(let value): "\(value)"
        case .null: "null"
        }
    }
}
