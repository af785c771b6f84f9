// iotflow-bridge: log metadata keys as journal field names.
// SPDX-License-Identifier: Apache-2.0

/// Journal field names (the native journal protocol's `NAME=value` pairs).
public enum JournalField {
    /// journald's longest field name (systemd.journal-fields(7)).
    public static let maxNameLength = 64

    /// The journal field name for a log metadata key, following journald's rules
    /// (systemd.journal-fields(7), sd_journal_print(3)): only `A`–`Z`, `0`–`9` and `_`, not starting
    /// with `_` (reserved for fields journald itself adds) or a digit, at most 64 characters.
    ///
    /// Letters are upper-cased; every other character (`.`, `-`, a space, anything outside ASCII) becomes
    /// one `_`; leading `_` and digits are dropped; the rest is cut at 64 characters. So `device_id`
    /// is `DEVICE_ID`, `mqtt.topic` is `MQTT_TOPIC`, `refusal.reason` is `REFUSAL_REASON`.
    ///
    /// Returns nil when nothing is left (`""`, `"._1"`): such a key has no field, though its value still
    /// reads in the message text. Two keys may meet in one name (`a.b`, `a_b`); journald keeps both
    /// values under it.
    public static func name(forMetadataKey key: String) -> String? {
        var name = ""
        name.reserveCapacity(min(key.utf8.count, maxNameLength))
        for scalar in key.unicodeScalars {
            let mapped: Character
            switch scalar {
            case "A"..."Z", "0"..."9", "_": mapped = Character(scalar)
            case "a"..."z": mapped = Character(Unicode.Scalar(scalar.value - 32) ?? "_")
            default: mapped = "_"
            }
            if name.isEmpty && (mapped == "_" || mapped.isNumber) { continue }
            name.append(mapped)
            if name.utf8.count == maxNameLength { break }
        }
        return name.isEmpty ? nil : name
    }
}
