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
/// the next unescaped space (outside a quoted string) ends the fields; `\` escapes the next
/// character. Returns nil for anything malformed.
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
        var index = 0
        func readIdentifier(until stops: Set<Character>) -> String? {
            var result = ""
            while index < characters.count, !stops.contains(characters[index]) {
                if characters[index] == "\\", index + 1 < characters.count,
                    ",= \\".contains(characters[index + 1])
                {
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
                    if characters[index] == "\\", index + 1 < characters.count { index += 1 }
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
            }
            guard !value.isEmpty, fields.updateValue(value, forKey: key) == nil else { return nil }
        } while index < characters.count && characters[index] == ","
        guard index < characters.count, characters[index] == " " else { return nil }
        let timestamp = String(characters[(index + 1)...])
        guard !timestamp.isEmpty, timestamp.allSatisfy({ $0.isNumber || $0 == "-" }) else { return nil }
        return ParsedPoint(measurement: measurement, tags: tags, fields: fields, timestamp: timestamp)
    }
}
