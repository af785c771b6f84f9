// iotflow-bridge: random topics and JSON never inject a line, tag or field.
// SPDX-License-Identifier: Apache-2.0

import Testing

@testable import BridgeCore

/// A small deterministic generator (SplitMix64), so a failure reproduces from its seed.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

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

    @Test(arguments: 0..<20)
    func randomMessagesParseBackToExactlyTheIntendedPoint(seed: UInt64) {
        var generator = SplitMix64(state: seed)
        var mapper = PointMapper(configuration: MappingConfiguration())
        var writer = LineProtocolWriter()
        for _ in 0..<100 {
            let device = Self.randomString(&generator).replacingSlashes()
            var measurement = Self.randomString(&generator).replacingSlashes()
            let keys = (0..<Int.random(in: 1...5, using: &generator)).map { _ in Self.randomString(&generator) }
            let uniqueKeys = Array(Set(keys)).filter { !["timestamp", "time", "ts"].contains($0) }
            let members = uniqueKeys.enumerated().map { "\(DeadLetter.quoted($1)): \($0 + 1).5" }
            let payload = "{\(members.joined(separator: ","))}"
            let topic = "iotflow/devices/\(device)/telemetry/\(measurement)"
            writer.removeAll()
            let result = Array(topic.utf8).withUnsafeBytes { t in
                Array(payload.utf8).withUnsafeBytes { p in
                    mapper.map(topic: t, payload: p, receivedAt: 7, into: &writer)
                }
            }
            let text = String(decoding: writer.bytes, as: UTF8.self)
            guard !Set(uniqueKeys.map(Self.sanitizedKey)).subtracting(["device_id"]).isEmpty else { continue }
            #expect(
                result == .mapped(points: 1, skippedFields: 0),
                "topic \(topic.debugDescription) payload \(payload)"
            )
            let parsed = LineProtocolParser.parse(text)
            #expect(parsed?.count == 1, "\(text.debugDescription)")
            guard let point = parsed?.first else { continue }
            if measurement.first == "#" { measurement = "_" + measurement.dropFirst() }
            #expect(point.measurement == Self.sanitized(measurement))
            #expect(point.tags == ["device_id": Self.sanitized(device)])
            let expectedKeys = Set(uniqueKeys.map(Self.sanitizedKey)).subtracting(["device_id"])
            #expect(Set(point.fields.keys) == expectedKeys)
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
