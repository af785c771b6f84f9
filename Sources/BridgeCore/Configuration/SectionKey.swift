// iotflow-bridge: one configuration key, listed once with everything the bridge does with it.
// SPDX-License-Identifier: Apache-2.0

/// One key of a configuration section, listed once in the section's `keys` table: its name, the
/// property that holds it, how its value is read and written (`ValueSyntax`) and the rules the
/// value must satisfy on its own (`KeyRule`). Its default is the section's (`MQTTConfiguration()`),
/// its environment variable its dotted name in upper snake case (`BridgeConfiguration.Key`).
/// Rules that join two keys are named functions in `BridgeConfiguration+Validation.swift`.
public struct SectionKey<Section>: Sendable {
    /// The key's name within its section (`client_id`).
    public let name: String
    /// Whether the value is a password or token.
    let isSecret: Bool
    /// Sets the key's property from the source, when the source holds a readable value.
    let read: @Sendable (_ section: inout Section, _ source: inout ConfigurationSource, _ key: String) -> Void
    /// The value as YAML; nil when unset (or not shown for this section's other values).
    let format: @Sendable (Section) -> String?
    /// What is wrong with the value on its own, one message each.
    let problems: @Sendable (Section) -> [String]
    /// Whether the key's value differs between two sections.
    let differs: @Sendable (Section, Section) -> Bool
    /// Sets the key's property in the second section to its value in the first.
    let copy: @Sendable (Section, inout Section) -> Void

    /// The key `name`, held in `path`, written in `syntax`, whose value must pass `rules`;
    /// `shownWhen` leaves it out of `print-config` (as a comment) where it does not apply.
    static func key<Value: Equatable & Sendable>(
        _ name: String,
        _ path: any WritableKeyPath<Section, Value> & Sendable,
        _ syntax: ValueSyntax<Value>,
        _ rules: KeyRule<Value>...,
        shownWhen isShown: @escaping @Sendable (Section) -> Bool = { _ in true }
    ) -> Self {
        Self(
            name: name,
            isSecret: syntax.isSecret,
            read: { section, source, key in
                if let value = syntax.read(&source, key) { section[keyPath: path] = value }
            },
            format: { isShown($0) ? syntax.format($0[keyPath: path]) : nil },
            problems: { section in rules.flatMap { $0.check(section[keyPath: path]) } },
            differs: { $0[keyPath: path] != $1[keyPath: path] },
            copy: { $1[keyPath: path] = $0[keyPath: path] }
        )
    }

    /// The same key, reached through `path` from a value that holds the section; `prefix` names
    /// a subsection (`tls.` makes `ca_file` the key `tls.ca_file`).
    func lifted<Whole>(
        through path: any WritableKeyPath<Whole, Section> & Sendable,
        prefix: String = ""
    ) -> SectionKey<Whole> {
        SectionKey<Whole>(
            name: prefix + name,
            isSecret: isSecret,
            read: { whole, source, key in read(&whole[keyPath: path], &source, key) },
            format: { format($0[keyPath: path]) },
            problems: { problems($0[keyPath: path]) },
            differs: { differs($0[keyPath: path], $1[keyPath: path]) },
            copy: { copy($0[keyPath: path], &$1[keyPath: path]) }
        )
    }
}

/// A rule one key's value must satisfy on its own: a message for each thing wrong, none when valid.
public struct KeyRule<Value: Sendable>: Sendable {
    let check: @Sendable (Value) -> [String]

    /// `message` unless `isValid`.
    static func require(_ message: String, _ isValid: @escaping @Sendable (Value) -> Bool) -> Self {
        Self { isValid($0) ? [] : [message] }
    }
}

extension KeyRule where Value == Int {
    /// Within `range`, else "must be between <lower> and <upper>".
    static func within(_ range: ClosedRange<Int>) -> Self {
        .within(range, "must be between \(range.lowerBound) and \(range.upperBound)")
    }

    /// Within `range`, else `message`.
    static func within(_ range: ClosedRange<Int>, _ message: String) -> Self {
        .require(message) { range.contains($0) }
    }
}

extension KeyRule where Value == Duration {
    /// Within `range`, else "must be between <lower> and <upper>", both as a duration is written.
    static func within(_ range: ClosedRange<Duration>) -> Self {
        let bounds = "\(ConfigDuration.format(range.lowerBound)) and \(ConfigDuration.format(range.upperBound))"
        return .require("must be between \(bounds)") { range.contains($0) }
    }
}

extension KeyRule where Value == Duration? {
    /// When set, within `range`.
    static func within(_ range: ClosedRange<Duration>) -> Self {
        let rule = KeyRule<Duration>.within(range)
        return Self { $0.map(rule.check) ?? [] }
    }
}

extension KeyRule where Value == String {
    /// Not empty.
    static var notEmpty: Self { .require("must not be empty") { !$0.isEmpty } }
}

extension KeyRule where Value == [String] {
    /// `message(item)` for each item that is not `isValid`.
    static func each(
        _ message: @escaping @Sendable (String) -> String,
        _ isValid: @escaping @Sendable (String) -> Bool
    ) -> Self {
        Self { items in items.filter { !isValid($0) }.map(message) }
    }
}
