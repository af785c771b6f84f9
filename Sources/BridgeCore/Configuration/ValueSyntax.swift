// iotflow-bridge: how each kind of configuration value is read from text and written as YAML.
// SPDX-License-Identifier: Apache-2.0

/// How one kind of value is read from the file or environment and written back as YAML; one per
/// kind (text, number, switch, duration, choice, list, secret), shared by every key of that kind.
public struct ValueSyntax<Value: Sendable>: Sendable {
    /// The value under `key`, nil when absent or unreadable (the source then holds the issue).
    let read: @Sendable (_ source: inout ConfigurationSource, _ key: String) -> Value?
    /// The value as YAML, nil for an unset optional (which `print-config` writes as a comment).
    let format: @Sendable (Value) -> String?
    /// Whether the value is a password or token, which the environment provider keeps secret too.
    var isSecret = false

    /// A scalar `parse` turns into a value; text it refuses is the issue "`expected`, got '…'".
    static func scalar(
        expected: String,
        parse: @escaping @Sendable (String) -> Value?,
        format: @escaping @Sendable (Value) -> String?
    ) -> Self {
        Self(
            read: { source, key in
                guard let raw = source.text(key) else { return nil }
                guard let value = parse(raw) else {
                    source.issue(key, "\(expected), got '\(raw)'")
                    return nil
                }
                return value
            },
            format: format
        )
    }
}

extension ValueSyntax where Value == String {
    /// Any text, written quoted.
    static var string: Self { Self(read: { $0.text($1) }, format: { YAML.quoted($0) }) }
}

extension ValueSyntax where Value == String? {
    /// Text or nothing; an empty value counts as unset.
    static var optionalString: Self {
        Self(read: { $0.text($1).map { $0.isEmpty ? nil : $0 } }, format: { $0.map(YAML.quoted) })
    }
}

extension ValueSyntax where Value == Secret? {
    /// A password or token, never written: `print-config` shows `"<redacted>"`.
    static var secret: Self {
        Self(
            read: { $0.text($1, isSecret: true).map { $0.isEmpty ? nil : Secret($0) } },
            format: { $0.map { _ in "\"<redacted>\"" } },
            isSecret: true
        )
    }
}

extension ValueSyntax where Value == Int {
    /// A whole number.
    static var int: Self {
        .scalar(expected: "must be a whole number", parse: { Int($0.trimmingBlanks) }, format: { "\($0)" })
    }
}

extension ValueSyntax where Value == Bool {
    /// `true`/`yes`/`on`/`1` or `false`/`no`/`off`/`0`.
    static var bool: Self {
        .scalar(
            expected: "must be true or false",
            parse: { raw in
                switch raw.lowercased() {
                case "true", "yes", "on", "1": true
                case "false", "no", "off", "0": false
                default: nil
                }
            },
            format: { "\($0)" }
        )
    }
}

extension ValueSyntax where Value == Duration {
    /// A duration as `ConfigDuration` spells it.
    static var duration: Self {
        .scalar(
            expected: "must be a duration such as 250ms, 10s, 5m or 1h (a bare number is milliseconds)",
            parse: ConfigDuration.parse,
            format: ConfigDuration.format
        )
    }
}

extension ValueSyntax where Value == Duration? {
    /// A duration, or `never` (nil).
    static var durationOrNever: Self {
        .scalar(
            expected: "must be never or a duration such as 10m, 12h or 168h",
            parse: { raw in
                if raw.trimmingBlanks.lowercased() == "never" { return .some(nil) }
                return ConfigDuration.parse(raw).map { .some($0) }
            },
            format: { $0.map(ConfigDuration.format) ?? "never" }
        )
    }
}

extension ValueSyntax where Value == [String] {
    /// A list of text, written as a YAML flow sequence.
    static var list: Self {
        Self(read: { $0.items($1) }, format: { "[\($0.map(YAML.quoted).joined(separator: ", "))]" })
    }
}

extension ValueSyntax where Value: RawRepresentable<String> & CaseIterable {
    /// One of the enum's raw values, in any case, written bare.
    static var choice: Self { .choice(format: { $0.rawValue }) }

    /// One of the enum's raw values, written quoted: for values YAML would read as numbers (`"5"`).
    static var quotedChoice: Self { .choice(format: { YAML.quoted($0.rawValue) }) }

    private static func choice(format: @escaping @Sendable (Value) -> String) -> Self {
        .scalar(
            expected: "must be one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))",
            parse: { Value(rawValue: $0.lowercased()) },
            format: format
        )
    }
}

/// YAML spelling shared by the value kinds.
enum YAML {
    /// `text` as a double-quoted YAML string.
    static func quoted(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\\" || scalar == "\"" { quoted.unicodeScalars.append("\\") }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted + "\""
    }
}
