// iotflow-bridge: which MQTT topic filters a subscription may use.
// SPDX-License-Identifier: Apache-2.0

/// MQTT topic filter syntax (MQTT 3.1.1 §4.7).
public enum TopicFilter {
    /// Whether `filter` is a valid subscription filter: non-empty levels may hold `+` or `#`
    /// only as the whole level, `#` only last; `$share/<group>/<filter>` needs a group and a filter.
    public static func isValid(_ filter: String) -> Bool {
        guard !filter.isEmpty, filter.utf8.count <= 65535, !filter.utf8.contains(0) else { return false }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        if levels.first == "$share" {
            guard levels.count >= 3, !levels[1].isEmpty, !levels[1].contains(where: { "+#".contains($0) }) else {
                return false
            }
            return isValid(levels.dropFirst(2).joined(separator: "/"))
        }
        for (index, level) in levels.enumerated() {
            if level == "#" { return index == levels.count - 1 }
            if level != "+" && level.contains(where: { "+#".contains($0) }) { return false }
        }
        return true
    }
}
