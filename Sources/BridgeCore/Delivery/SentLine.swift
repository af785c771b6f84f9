// iotflow-bridge: reads back the parts of a sent line that a 1.x partial-write reply refers to.
// SPDX-License-Identifier: Apache-2.0

/// One line of line protocol as the bridge sent it, read back just far enough to match what an
/// InfluxDB 1.x partial-write reply names: the measurement, each field's key and type, and the
/// timestamp.
///
/// It reads the bridge's own output (`LineProtocolWriter`: escaped identifiers, a timestamp on
/// every line) and never fails: a line it cannot read has no measurement, no fields or no
/// timestamp, and so matches nothing. A pure value, safe from any thread.
struct SentLine {
    /// The measurement, unescaped.
    var measurement: [UInt8] = []
    /// Each field's unescaped key and InfluxDB type name (`float`, `integer`, `unsigned`,
    /// `string`, `boolean`), in line order.
    var fields: [(key: [UInt8], type: String)] = []
    /// The timestamp in the request's precision (nanoseconds), nil when absent or unreadable.
    var timestamp: Int64?

    /// Reads `line` (with or without its newline).
    init(_ line: ArraySlice<UInt8>) {
        var line = line
        if line.last == UInt8(ascii: "\n") { line = line.dropLast() }
        var index = line.startIndex
        // Measurement: up to the first unescaped `,` (tags follow) or space (fields follow).
        measurement = Self.identifier(in: line, from: &index, stoppingAt: [UInt8(ascii: ","), UInt8(ascii: " ")])
        while index < line.endIndex && line[index] != UInt8(ascii: " ") {
            // Skip tags: `\`-escaped bytes never end one.
            if line[index] == UInt8(ascii: "\\") { index += 1 }
            index += 1
        }
        guard index < line.endIndex else { return }
        index += 1
        readFields(line, from: &index)
        if index < line.endIndex, line[index] == UInt8(ascii: " ") {
            timestamp = Int64(String(decoding: line[(index + 1)...], as: UTF8.self))
        }
    }

    private mutating func readFields(_ line: ArraySlice<UInt8>, from index: inout Int) {
        while index < line.endIndex {
            let key = Self.identifier(in: line, from: &index, stoppingAt: [UInt8(ascii: "=")])
            guard index < line.endIndex else { return }
            index += 1
            let valueStart = index
            if index < line.endIndex && line[index] == UInt8(ascii: "\"") {
                index += 1
                while index < line.endIndex && line[index] != UInt8(ascii: "\"") {
                    if line[index] == UInt8(ascii: "\\") { index += 1 }
                    index += 1
                }
                index = min(index + 1, line.endIndex)
            } else {
                while index < line.endIndex && line[index] != UInt8(ascii: ",") && line[index] != UInt8(ascii: " ") {
                    index += 1
                }
            }
            fields.append((key, Self.typeName(of: line[valueStart..<index])))
            guard index < line.endIndex, line[index] == UInt8(ascii: ",") else { return }
            index += 1
        }
    }

    /// The unescaped identifier from `index` to the first unescaped byte in `stops`.
    private static func identifier(
        in line: ArraySlice<UInt8>,
        from index: inout Int,
        stoppingAt stops: [UInt8]
    ) -> [UInt8] {
        var name: [UInt8] = []
        while index < line.endIndex && !stops.contains(line[index]) {
            if line[index] == UInt8(ascii: "\\"), index + 1 < line.endIndex,
                [UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "=")].contains(line[index + 1])
            {
                index += 1
            }
            name.append(line[index])
            index += 1
        }
        return name
    }

    /// The InfluxDB 1.x type name of a field value as written in line protocol.
    private static func typeName(of value: ArraySlice<UInt8>) -> String {
        switch value.first {
        case UInt8(ascii: "\""): return "string"
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"): return "boolean"
        default: break
        }
        switch value.last {
        case UInt8(ascii: "i"): return "integer"
        case UInt8(ascii: "u"): return "unsigned"
        default: return "float"
        }
    }
}
