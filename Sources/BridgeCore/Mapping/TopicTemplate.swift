// iotflow-bridge: a topic template naming the levels of an MQTT topic.
// SPDX-License-Identifier: Apache-2.0

/// A topic template such as `iotflow/devices/{device_id}/telemetry/{measurement}`.
///
/// Each level is a literal that must match exactly, `{measurement}` (the point's measurement),
/// `{name}` (a tag called `name`), or `{_}` / `+` (any level, not kept). Matching works on the
/// topic's bytes and allocates nothing.
public struct TopicTemplate: Equatable, Sendable {
    /// One level of the template.
    public enum Level: Equatable, Sendable {
        /// Must equal these bytes.
        case literal([UInt8])
        /// Becomes the measurement.
        case measurement
        /// Becomes a tag with this key.
        case tag(String)
        /// Matches any non-empty level, kept nowhere.
        case skip
    }

    /// The levels, in topic order.
    public let levels: [Level]

    /// The longest topic level kept as a measurement or tag value, in bytes. Longer levels
    /// are refused (a device id is at most a few dozen bytes in practice).
    public static let maxLevelBytes = 256

    /// Parses a template, or says why it is unusable. A template without a `{measurement}` level
    /// is accepted only when `requiresMeasurement` is false (its route fixes the measurement).
    public static func parse(_ text: String, requiresMeasurement: Bool = true) -> Result<TopicTemplate, TemplateError> {
        var levels: [Level] = []
        var hasMeasurement = false
        var tagNames: Set<String> = []
        for part in text.split(separator: "/", omittingEmptySubsequences: false) {
            if part == "+" || part == "{_}" {
                levels.append(.skip)
            } else if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                let name = String(part.dropFirst().dropLast())
                guard name.utf8.allSatisfy(isNameByte) else { return .failure(.invalidName(name)) }
                if name == "measurement" {
                    guard !hasMeasurement else { return .failure(.duplicateName(name)) }
                    hasMeasurement = true
                    levels.append(.measurement)
                } else {
                    guard name != "time" else { return .failure(.invalidName(name)) }
                    guard tagNames.insert(name).inserted else { return .failure(.duplicateName(name)) }
                    levels.append(.tag(name))
                }
            } else {
                guard !part.isEmpty, !part.contains(where: { "{}+#".contains($0) }) else {
                    return .failure(.invalidLevel(String(part)))
                }
                levels.append(.literal(Array(part.utf8)))
            }
        }
        guard hasMeasurement || !requiresMeasurement else { return .failure(.missingMeasurement) }
        return .success(TopicTemplate(levels: levels))
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_")
    }

    /// What a matching topic yields: byte ranges into the topic.
    public struct Match: Sendable {
        /// The measurement level.
        public var measurement: Range<Int> = 0..<0
        /// Tag keys (template order) and their levels.
        public var tags: [(key: String, value: Range<Int>)] = []
    }

    /// Why a topic does not fit the template.
    public enum Mismatch: Error, Equatable, Sendable {
        /// The level count or a literal level differs.
        case shape
        /// A measurement or tag level is empty, longer than `maxLevelBytes`, or not UTF-8.
        case invalidLevel
    }

    /// A level that can be a measurement or tag value: non-empty, at most `maxLevelBytes`, and
    /// UTF-8 (libmosquitto checks topics, but the mapping does not rely on its caller; InfluxDB
    /// refuses lines that are not UTF-8, which would take the whole batch with them).
    private static func isUsable(_ level: Slice<UnsafeRawBufferPointer>) -> Bool {
        guard !level.isEmpty, level.count <= maxLevelBytes else { return false }
        return level.allSatisfy { $0 < 0x80 }
            || String(validating: UnsafeRawBufferPointer(rebasing: level), as: UTF8.self) != nil
    }

    /// Matches `topic` against the template, filling `match` (its storage is reused).
    public func match(_ topic: UnsafeRawBufferPointer, into match: inout Match) -> Mismatch? {
        match.tags.removeAll(keepingCapacity: true)
        var start = 0
        var levelIndex = 0
        while start <= topic.count {
            var end = start
            while end < topic.count && topic[end] != UInt8(ascii: "/") { end += 1 }
            guard levelIndex < levels.count else { return .shape }
            let range = start..<end
            switch levels[levelIndex] {
            case .literal(let bytes):
                guard bytes.elementsEqual(topic[range]) else { return .shape }
            case .measurement:
                guard Self.isUsable(topic[range]) else { return .invalidLevel }
                match.measurement = range
            case .tag(let key):
                guard Self.isUsable(topic[range]) else { return .invalidLevel }
                match.tags.append((key, range))
            case .skip:
                guard !range.isEmpty else { return .invalidLevel }
            }
            levelIndex += 1
            start = end + 1
        }
        return levelIndex == levels.count ? nil : .shape
    }
}

/// Why a topic template is unusable.
public enum TemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No `{measurement}` level.
    case missingMeasurement
    /// A `{name}` that is not lowercase letters, digits and `_`, or is `time`.
    case invalidName(String)
    /// The same `{name}` twice.
    case duplicateName(String)
    /// An empty literal level, or one containing `{`, `}`, `+` or `#`.
    case invalidLevel(String)

    public var description: String {
        switch self {
        case .missingMeasurement: return "needs a {measurement} level or a fixed measurement (' -> name')"
        case .invalidName(let name): return "{\(name)} is not a usable name (lowercase letters, digits, _; not time)"
        case .duplicateName(let name): return "{\(name)} appears twice"
        case .invalidLevel(let level): return "level '\(level)' is empty or contains {, }, + or #"
        }
    }
}
