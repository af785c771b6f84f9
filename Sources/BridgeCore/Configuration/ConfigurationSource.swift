// iotflow-bridge: the raw text of each key, read and checked one key at a time.
// SPDX-License-Identifier: Apache-2.0

/// The raw text of the configuration's keys, from wherever the bridge reads them (the YAML file
/// and the environment, through `Bridge`), collecting one issue per unreadable key instead of
/// stopping at the first, so `check-config` lists all.
///
/// Every key asked for is remembered, which lets the loader flag keys in the file that nothing
/// reads (typos).
public struct ConfigurationSource {
    private let scalar: (String, Bool) -> String?
    private let list: (String, Bool) -> [String]?
    /// The problems found so far, in the order the keys were read.
    public private(set) var issues: [ConfigurationError.Issue] = []
    /// The dotted keys read so far.
    public private(set) var knownKeys: Set<String> = []

    /// A source over two lookups by dotted key: one scalar, one list, each told whether the value is
    /// a secret.
    public init(
        scalar: @escaping (_ key: String, _ isSecret: Bool) -> String?,
        list: @escaping (_ key: String, _ isSecret: Bool) -> [String]?
    ) {
        self.scalar = scalar
        self.list = list
    }

    /// Records a problem with `key`.
    public mutating func issue(_ key: String, _ message: String) {
        issues.append(.init(key: key, message: message))
    }

    /// The raw text of a scalar key, nil when absent. A list where one value belongs is an issue.
    public mutating func text(_ key: String, isSecret: Bool = false) -> String? {
        knownKeys.insert(key)
        if let value = scalar(key, isSecret) { return value }
        if list(key, isSecret) != nil {
            issue(key, "must be a single value, not a list")
        }
        return nil
    }

    /// A list: a YAML sequence, a comma-separated environment value, or a single scalar; nil when
    /// absent. Items are trimmed, and empty ones left out.
    mutating func items(_ key: String) -> [String]? {
        knownKeys.insert(key)
        if let items = list(key, false) {
            return items.map { String($0.trimmingBlanks) }.filter { !$0.isEmpty }
        }
        return scalar(key, false).map { [$0] }
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs (Unicode category Zs, and U+0009).
    var trimmingBlanks: Substring {
        let scalars = unicodeScalars
        func isBlank(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
        }
        let start = scalars.firstIndex { !isBlank($0) } ?? scalars.endIndex
        let end = scalars.lastIndex { !isBlank($0) }.map(scalars.index(after:)) ?? start
        return self[start..<max(start, end)]
    }
}
