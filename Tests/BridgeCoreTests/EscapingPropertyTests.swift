// iotflow-bridge: random topics and JSON never inject a line, tag or field.
// SPDX-License-Identifier: Apache-2.0

import Testing

@testable import BridgeCore

@Suite struct EscapingPropertyTests {
    /// Characters that matter to line protocol or JSON, plus ordinary and non-ASCII ones.
    private static let alphabet: [Character] = Array(" ,=\"\\\n\r\t#/+abcXYZ09_-é😀\u{7F}\u{1}")

    private static func randomString(_ generator: inout SplitMix64, minLength: Int = 1) -> String {
        let length = Int.random(in: minLength...12, using: &generator)
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// What the writer makes of an identifier: control characters and `\` become `_`.
    private static func sanitized(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" ? "_" : Character($0) })
    }

    /// Field keys also lose `"`, which InfluxDB 1.x reads as the start of a string anywhere in the fields.
    private static func sanitizedKey(_ text: String) -> String {
        String(sanitized(text).map { $0 == "\"" ? "_" : $0 })
    }

    /// What the writer makes of a string field value: control characters become spaces.
    private static func sanitizedValue(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
    }

    /// A random JSON value and the field value text the reference parser should read back.
    private static func randomValue(_ generator: inout SplitMix64, index: Int) -> (json: String, parsed: String) {
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: return ("\(index).5", "\(index).5")
        case 1: return ("true", "true")
        default:
            // A leading letter keeps it from being a numeric string (which would be a float).
            let text = "v" + randomString(&generator)
            return (DeadLetter.quoted(text), "\"" + sanitizedValue(text) + "\"")
        }
    }

    @Test(arguments: 0..<20)
    func randomMessagesParseBackToExactlyTheIntendedPoint(seed: UInt64) {
        var generator = SplitMix64(state: seed)
        var writer = LineProtocolWriter()
        for _ in 0..<100 {
            // A fresh mapper each time: the type registry must not refuse a reused random key.
            // `string_policy: field` keeps strings and booleans as written, which is what is escaped.
            var mapper = PointMapper(configuration: MappingConfiguration(stringPolicy: .field))
            let device = Self.randomString(&generator).replacingSlashes()
            var measurement = Self.randomString(&generator).replacingSlashes()
            var members: [String] = []
            var expected: [(key: String, value: String)] = []
            for index in 0..<Int.random(in: 1...5, using: &generator) {
                let key = Self.randomString(&generator)
                guard !["timestamp", "time", "ts"].contains(key) else { continue }
                if Bool.random(using: &generator) {
                    let (json, parsed) = Self.randomValue(&generator, index: index)
                    members.append("\(DeadLetter.quoted(key)): \(json)")
                    expected.append((Self.sanitizedKey(key), parsed))
                } else {
                    // One level of nesting, flattened as key_inner.
                    let inner = Self.randomString(&generator)
                    let (json, parsed) = Self.randomValue(&generator, index: index)
                    members.append("\(DeadLetter.quoted(key)): {\(DeadLetter.quoted(inner)): \(json)}")
                    expected.append((Self.sanitizedKey(key + "_" + inner), parsed))
                }
            }
            let payload = "{\(members.joined(separator: ","))}"
            let topic = "iotflow/devices/\(device)/telemetry/\(measurement)"
            writer.removeAll()
            let result = Array(topic.utf8).withUnsafeBytes { t in
                Array(payload.utf8).withUnsafeBytes { p in
                    mapper.map(topic: t, payload: p, receivedAt: 7, into: &writer)
                }
            }
            let text = String(decoding: writer.bytes, as: UTF8.self)
            if device.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                #expect(result == .refused(.invalidDeviceID) && text.isEmpty)
                continue
            }
            // The last of equal keys wins; a key equal to the device_id tag is skipped.
            var fields: [String: String] = [:]
            for (key, value) in expected { fields[key] = value }
            let shadowed = fields.removeValue(forKey: "device_id") != nil
            guard !fields.isEmpty else { continue }
            #expect(
                result == .mapped(points: 1, skippedFields: shadowed ? 1 : 0),
                "topic \(topic.debugDescription) payload \(payload)"
            )
            let parsed = LineProtocolParser.parse(text)
            #expect(parsed?.count == 1, "\(text.debugDescription)")
            guard let point = parsed?.first else { continue }
            if measurement.first == "#" { measurement = "_" + measurement.dropFirst() }
            #expect(point.measurement == Self.sanitized(measurement))
            #expect(point.tags == ["device_id": Self.sanitized(device)])
            #expect(point.fields == fields, "\(text.debugDescription)")
            #expect(point.timestamp == "7")
            #expect(text.filter { $0 == "\n" }.count == 1)
        }
    }
}

extension String {
    fileprivate func replacingSlashes() -> String {
        String(map { $0 == "/" || $0 == "+" || $0 == "#" ? "x" : $0 })
    }

}
