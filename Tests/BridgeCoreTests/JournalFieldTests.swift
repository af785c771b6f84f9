// iotflow-bridge: log metadata keys as journal field names, by journald's rules.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

struct JournalFieldTests {
    @Test(
        arguments: [
            ("device_id", "DEVICE_ID"), ("mqtt.topic", "MQTT_TOPIC"), ("refusal.reason", "REFUSAL_REASON"),
            ("http.status", "HTTP_STATUS"), ("log.suppressed", "LOG_SUPPRESSED"), ("error", "ERROR"),
            ("x-request-id", "X_REQUEST_ID"), ("a b", "A_B"), ("Mixed.Case9", "MIXED_CASE9"),
            ("température", "TEMP_RATURE"),
        ]
    )
    func keysBecomeUpperSnakeCase(key: String, name: String) {
        #expect(JournalField.name(forMetadataKey: key) == name)
    }

    @Test(arguments: [("_private", "PRIVATE"), ("._x", "X"), ("9lives", "LIVES"), ("_1_2a", "A"), (".a.", "A_")])
    func aNameNeverStartsWithAnUnderscoreOrADigit(key: String, name: String) {
        #expect(JournalField.name(forMetadataKey: key) == name)
    }

    @Test(arguments: ["", "_", "...", "_123", "-9"])
    func aKeyWithNothingLeftHasNoField(key: String) {
        #expect(JournalField.name(forMetadataKey: key) == nil)
    }

    @Test func namesAreCutAtSixtyFourCharacters() throws {
        let name = try #require(JournalField.name(forMetadataKey: "_" + String(repeating: "ab.", count: 40)))
        #expect(name.utf8.count == JournalField.maxNameLength)
        #expect(name.hasPrefix("AB_AB_"))
        #expect(
            JournalField.name(forMetadataKey: String(repeating: "a", count: 64)) == String(repeating: "A", count: 64)
        )
    }

    @Test func everyNameHoldsOnlyUppercaseLettersDigitsAndUnderscores() {
        let keys = ["ä.ö-ü", "a\u{0}b", "a\nb=c", "日本.語", "emoji🙂key", "tab\tkey"]
        for key in keys {
            let name = JournalField.name(forMetadataKey: key) ?? ""
            #expect(name.utf8.allSatisfy { (65...90).contains($0) || (48...57).contains($0) || $0 == 95 }, "\(key)")
            #expect(name.first.map { $0 != "_" && !$0.isNumber } ?? true, "\(key)")
        }
    }
}
