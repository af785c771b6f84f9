// iotflow-bridge: a reference line-protocol parser for tests (InfluxDB 1.x/3.x escaping rules).
// SPDX-License-Identifier: Apache-2.0

/// A parsed point, for comparing what was encoded with what a server would read.
struct ParsedPoint: Equatable {
    var measurement: String
    var tags: [String: String]
    var fields: [String: String]
    var timestamp: String
}

/// Parses line protocol the way InfluxDB's parsers split it: an unescaped space ends the key,
/// the next unescaped space (outside a quoted string) ends the fields. Stricter than any server,
/// so it also checks the bridge's own rules: no control character anywhere (a newline inside a
/// string value would be a second line for some parsers); in identifiers `\` only escapes `,`, `=`
/// or space (so no identifier ends in `\`); in string values only `"` and `\`; every field value
/// is a float, `<int>i`, `<uint>u`, a boolean or a string. Returns nil for anything malformed.
enum LineProtocolParser {
    static func parse(_ text: String) -> [ParsedPoint]? {
        guard text.hasSuffix("\n") else { return nil }
        var points: [ParsedPoint] = []
        for line in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            guard let point = parseLine(Array(line)) else { return nil }
            points.append(point)
        }
        return points
    }

    private static func parseLine(_ characters: [Character]) -> ParsedPoint? {
        guard !characters.contains(where: { $0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } })
        else { return nil }
        var index = 0
        func readIdentifier(until stops: Set<Character>) -> String? {
            var result = ""
            while index < characters.count, !stops.contains(characters[index]) {
                if characters[index] == "\\" {
                    guard index + 1 < characters.count, ",= ".contains(characters[index + 1]) else { return nil }
                    result.append(characters[index + 1])
                    index += 2
                } else {
                    result.append(characters[index])
                    index += 1
                }
            }
            return result.isEmpty ? nil : result
        }
        guard characters.first != "#", let measurement = readIdentifier(until: [",", " "]) else { return nil }
        var tags: [String: String] = [:]
        while index < characters.count, characters[index] == "," {
            index += 1
            guard let key = readIdentifier(until: ["=", ",", " "]), index < characters.count, characters[index] == "="
            else { return nil }
            index += 1
            guard let value = readIdentifier(until: [",", " "]) else { return nil }
            guard tags.updateValue(value, forKey: key) == nil else { return nil }
        }
        guard index < characters.count, characters[index] == " " else { return nil }
        index += 1
        var fields: [String: String] = [:]
        repeat {
            if characters.indices.contains(index) && characters[index] == "," { index += 1 }
            guard let key = readIdentifier(until: ["=", ",", " "]), index < characters.count, characters[index] == "="
            else { return nil }
            index += 1
            var value = ""
            if index < characters.count, characters[index] == "\"" {
                value.append("\"")
                index += 1
                while index < characters.count, characters[index] != "\"" {
                    if characters[index] == "\\" {
                        guard index + 1 < characters.count, "\"\\".contains(characters[index + 1]) else { return nil }
                        index += 1
                    }
                    value.append(characters[index])
                    index += 1
                }
                guard index < characters.count else { return nil }
                value.append("\"")
                index += 1
            } else {
                while index < characters.count, characters[index] != ",", characters[index] != " " {
                    value.append(characters[index])
                    index += 1
                }
                guard isScalarFieldValue(value) else { return nil }
            }
            guard !value.isEmpty, fields.updateValue(value, forKey: key) == nil else { return nil }
        } while index < characters.count && characters[index] == ","
        guard index < characters.count, characters[index] == " " else { return nil }
        let timestamp = String(characters[(index + 1)...])
        guard !timestamp.isEmpty, timestamp.allSatisfy({ $0.isNumber || $0 == "-" }) else { return nil }
        return ParsedPoint(measurement: measurement, tags: tags, fields: fields, timestamp: timestamp)
    }

    /// A float (`1`, `-1.5`, `1e-05`, `1.5e+20`), `12i`, `12u` or a boolean.
    private static func isScalarFieldValue(_ value: String) -> Bool {
        if ["t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"].contains(value) { return true }
        if value.hasSuffix("i") { return Int64(value.dropLast()) != nil }
        if value.hasSuffix("u") { return UInt64(value.dropLast()) != nil }
        let allowed = Set("0123456789+-.eE")
        return value.allSatisfy { allowed.contains($0) } && Double(value)?.isFinite == true
    }
}
