// iotflow-bridge: typed, checked reads from the configuration file and environment.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Configuration
import Foundation

/// Reads keys from a `ConfigReader`, converting and checking each value, and collecting one
/// issue per unreadable key instead of stopping at the first (so `check-config` lists all).
///
/// Absent keys take the caller's default; present but unreadable ones record an issue and
/// also take the default, so reading can go on. Every key read is remembered, which lets the
/// loader flag keys in the file that nothing reads (typos).
struct ConfigurationSource {
    let reader: ConfigReader
    private(set) var issues: [ConfigurationError.Issue] = []
    private(set) var knownKeys: Set<String> = []

    init(reader: ConfigReader) {
        self.reader = reader
    }

    mutating func issue(_ key: String, _ message: String) {
        issues.append(.init(key: key, message: message))
    }

    /// The raw text of a scalar key, nil when absent. A list where one value belongs is an issue.
    private mutating func text(_ key: String, isSecret: Bool = false) -> String? {
        knownKeys.insert(key)
        if let value = reader.string(forKey: ConfigKey(key), isSecret: isSecret) { return value }
        if reader.stringArray(forKey: ConfigKey(key), isSecret: isSecret) != nil {
            issue(key, "must be a single value, not a list")
        }
        return nil
    }

    mutating func string(_ key: String, default value: String) -> String {
        text(key) ?? value
    }

    /// An optional string; an empty value counts as unset.
    mutating func optionalString(_ key: String) -> String? {
        text(key).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// An optional secret; its value never appears in an issue.
    mutating func secret(_ key: String) -> Secret? {
        text(key, isSecret: true).flatMap { $0.isEmpty ? nil : Secret($0) }
    }

    mutating func int(_ key: String, default value: Int) -> Int {
        guard let raw = text(key) else { return value }
        guard let parsed = Int(raw.trimmingCharacters(in: .whitespaces)) else {
            issue(key, "must be a whole number, got '\(raw)'")
            return value
        }
        return parsed
    }

    mutating func bool(_ key: String, default value: Bool) -> Bool {
        guard let raw = text(key) else { return value }
        switch raw.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default:
            issue(key, "must be true or false, got '\(raw)'")
            return value
        }
    }

    mutating func duration(_ key: String, default value: Duration) -> Duration {
        guard let raw = text(key) else { return value }
        guard let parsed = ConfigDuration.parse(raw) else {
            issue(key, "must be a duration such as 250ms, 10s, 5m or 1h (a bare number is milliseconds), got '\(raw)'")
            return value
        }
        return parsed
    }

    /// A duration, or `never` (nil).
    mutating func durationOrNever(_ key: String, default value: Duration?) -> Duration? {
        guard let raw = text(key) else { return value }
        if raw.trimmingCharacters(in: .whitespaces).lowercased() == "never" { return nil }
        guard let parsed = ConfigDuration.parse(raw) else {
            issue(key, "must be never or a duration such as 10m, 12h or 168h, got '\(raw)'")
            return value
        }
        return parsed
    }

    mutating func choice<Choice: RawRepresentable<String> & CaseIterable>(
        _ key: String,
        default value: Choice
    ) -> Choice {
        guard let raw = text(key) else { return value }
        guard let parsed = Choice(rawValue: raw.lowercased()) else {
            let allowed = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            issue(key, "must be one of \(allowed), got '\(raw)'")
            return value
        }
        return parsed
    }

    /// A list: a YAML sequence, a comma-separated environment value, or a single scalar.
    mutating func stringList(_ key: String, default value: [String]) -> [String] {
        knownKeys.insert(key)
        if let list = reader.stringArray(forKey: ConfigKey(key)) {
            return list.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let single = reader.string(forKey: ConfigKey(key)) { return [single] }
        return value
    }
}
