// iotflow-bridge: a decoded JSON document, kept close to the bytes the device sent.
// SPDX-License-Identifier: Apache-2.0

/// A JSON number: its nearest double, and its exact value when the literal was an integer
/// that fits in 64 bits (epoch nanoseconds need all 19 digits).
public struct JSONNumber: Equatable, Sendable {
    /// The nearest `Double` (integers beyond 2^53 round to the nearest representable value).
    public var double: Double
    /// The exact value when the literal had no fraction or exponent and fits in `Int64`.
    public var exactInteger: Int64?

    /// A number with its double and, if known, exact integer value.
    public init(double: Double, exactInteger: Int64? = nil) {
        self.double = double
        self.exactInteger = exactInteger
    }
}

/// A JSON value. Object members keep their order (fields are written in the order sent). Not
/// `indirect`: the recursive cases hold arrays, which are heap storage already, and boxing every
/// scalar would cost an allocation per value on the MQTT thread.
public enum JSONValue: Equatable, Sendable {
    /// `{...}` with members in document order; duplicate keys are kept.
    case object([(key: String, value: JSONValue)])
    /// `[...]`.
    case array([JSONValue])
    /// A string, unescaped.
    case string(String)
    /// A number.
    case number(JSONNumber)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.object(let l), .object(let r)):
            return l.count == r.count && zip(l, r).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let l), .array(let r)): return l == r
        case (.string(let l), .string(let r)): return l == r
        case (.number(let l), .number(let r)): return l == r
        case (.bool(let l), .bool(let r)): return l == r
        case (.null, .null): return true
        default: return false
        }
    }
}
