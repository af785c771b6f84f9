// iotflow-bridge: appends InfluxDB line protocol to a byte buffer, escaped so nothing injects.
// SPDX-License-Identifier: Apache-2.0

/// Appends line-protocol points to a byte buffer.
///
/// Escaping follows REFERENCE.md §A and is stricter than any one server needs, so the same bytes
/// mean the same point on InfluxDB 1.x, 2.x, 3.x and VictoriaMetrics:
/// - measurement: `,` and space are backslash-escaped;
/// - tag keys, tag values and field keys: `,`, `=` and space are backslash-escaped;
/// - every identifier: control characters (`\n`, `\r`, `\t`, …, DEL) and `\` become `_`, because
///   parsers disagree about backslashes and an identifier ending in `\` breaks InfluxDB 3;
/// - field keys: `"` becomes `_` too, because InfluxDB 1.x's field scanner toggles its "inside a
///   string" state on any unescaped quote, keys included, and would misread the rest of the line;
/// - a measurement starting with `#` gets `_` instead, or the line would be read as a comment;
/// - string field values: `"` and `\` are escaped; control characters (`\n`, `\r`, `\t`, NUL, …, DEL)
///   become spaces, so a value can never end a line, and every server reads it the same way.
///
/// Callers must not pass empty identifiers (line protocol cannot carry them; the topic template
/// refuses empty levels and the mapper skips empty keys). The writer is a value type that owns its buffer: reuse one per thread to avoid
/// allocating per point.
public struct LineProtocolWriter: Sendable {
    /// The encoded bytes so far; every complete point ends with `\n`.
    public private(set) var bytes: [UInt8] = []
    /// The length in bytes of each complete point in `bytes`, newline included.
    public private(set) var lineLengths: [UInt32] = []
    /// The number of complete points in `bytes`.
    public var pointCount: Int { lineLengths.count }
    private var fieldCount = 0
    private var lineStart = 0

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    /// Forgets every point, keeping the allocated storage.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        lineLengths.removeAll(keepingCapacity: true)
        fieldCount = 0
        lineStart = 0
    }

    /// Removes every complete point from the `index`-th on (the writer keeps the first `index`).
    public mutating func removePoints(from index: Int) {
        guard index < lineLengths.count else { return }
        let kept = lineLengths[..<index].reduce(0) { $0 + Int($1) }
        bytes.removeSubrange(kept...)
        lineLengths.removeSubrange(index...)
        fieldCount = 0
        lineStart = bytes.count
    }

    /// Removes the point being written (after `beginPoint`, before `endPoint`).
    public mutating func cancelPoint() {
        bytes.removeSubrange(lineStart...)
        fieldCount = 0
    }

    /// A field key as the writer stores it (before escaping): control characters, `\` and `"`
    /// become `_`. Two keys that differ only there are the same key on the wire.
    public static func sanitizedFieldKey(_ key: String) -> String {
        guard key.utf8.contains(where: { needsReplacing($0) || $0 == UInt8(ascii: "\"") }) else { return key }
        let bytes = key.utf8.map { needsReplacing($0) || $0 == UInt8(ascii: "\"") ? UInt8(ascii: "_") : $0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A measurement as InfluxDB stores what `beginPoint` writes for it (before escaping):
    /// control characters and `\` become `_`, and so does a leading `#`. The schema names it so.
    public static func storedMeasurement(_ name: String) -> String {
        guard name.utf8.first == UInt8(ascii: "#") || name.utf8.contains(where: needsReplacing) else { return name }
        var bytes = name.utf8.map { needsReplacing($0) ? UInt8(ascii: "_") : $0 }
        if bytes.first == UInt8(ascii: "#") { bytes[0] = UInt8(ascii: "_") }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func needsReplacing(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\\")
    }

    // MARK: - Points

    /// Starts a point with its measurement.
    public mutating func beginPoint<Bytes: Sequence<UInt8>>(measurement: Bytes) {
        lineStart = bytes.count
        fieldCount = 0
        var first = true
        for byte in measurement {
            if first && byte == UInt8(ascii: "#") {
                bytes.append(UInt8(ascii: "_"))
            } else {
                appendIdentifierByte(byte, escapingEquals: false)
            }
            first = false
        }
    }

    /// Adds a tag; call after `beginPoint` and before the first field.
    public mutating func appendTag<Key: Sequence<UInt8>, Value: Sequence<UInt8>>(key: Key, value: Value) {
        precondition(fieldCount == 0, "tags must come before fields")
        bytes.append(UInt8(ascii: ","))
        for byte in key { appendIdentifierByte(byte, escapingEquals: true) }
        bytes.append(UInt8(ascii: "="))
        for byte in value { appendIdentifierByte(byte, escapingEquals: true) }
    }

    /// Adds a field.
    public mutating func appendField<Key: Sequence<UInt8>>(key: Key, value: FieldValue) {
        bytes.append(fieldCount == 0 ? UInt8(ascii: " ") : UInt8(ascii: ","))
        fieldCount += 1
        for byte in key {
            appendIdentifierByte(byte == UInt8(ascii: "\"") ? UInt8(ascii: "_") : byte, escapingEquals: true)
        }
        bytes.append(UInt8(ascii: "="))
        switch value {
        case .float(let double):
            precondition(double.isFinite, "line protocol cannot carry non-finite floats")
            appendFloat(double)
        case .integer(let integer):
            appendDecimal(integer)
            bytes.append(UInt8(ascii: "i"))
        case .unsigned(let unsigned):
            bytes.append(contentsOf: String(unsigned).utf8)
            bytes.append(UInt8(ascii: "u"))
        case .boolean(let boolean):
            bytes.append(contentsOf: boolean ? "true".utf8 : "false".utf8)
        case .string(let string):
            appendQuoted(string)
        }
    }

    /// The number of fields in the point being written.
    public var fieldsInPoint: Int { fieldCount }

    /// Ends the point with its timestamp in nanoseconds since the Unix epoch.
    public mutating func endPoint(timestampNanoseconds: Int64) {
        precondition(fieldCount > 0, "a point needs at least one field")
        bytes.append(UInt8(ascii: " "))
        appendDecimal(timestampNanoseconds)
        bytes.append(UInt8(ascii: "\n"))
        lineLengths.append(UInt32(bytes.count - lineStart))
    }

    // MARK: - Pieces

    private mutating func appendIdentifierByte(_ byte: UInt8, escapingEquals: Bool) {
        switch byte {
        case _ where Self.needsReplacing(byte):
            bytes.append(UInt8(ascii: "_"))
        case UInt8(ascii: ","), UInt8(ascii: " "):
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(byte)
        case UInt8(ascii: "=") where escapingEquals:
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(byte)
        default:
            bytes.append(byte)
        }
    }

    private mutating func appendQuoted(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case _ where byte < 0x20 || byte == 0x7F:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes a float so every server reads it as a float: integral values below 2^53 as plain
    /// digits (a bare number is a float in line protocol), the rest in Swift's shortest
    /// round-trip form (`50.5`, `1e-05`, `1.5e+20`), which Go's ParseFloat and the v3 parser accept.
    private mutating func appendFloat(_ double: Double) {
        if double.rounded(.towardZero) == double && abs(double) < 9_007_199_254_740_992 {
            appendDecimal(Int64(double))
        } else {
            bytes.append(contentsOf: double.description.utf8)
        }
    }

    private mutating func appendDecimal(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for the 20 digits of UInt64.max
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: buffer[index...])
        }
    }
}
