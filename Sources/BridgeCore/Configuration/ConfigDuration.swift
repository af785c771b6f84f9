// iotflow-bridge: durations as operators write them (`10s`, `250ms`, `5000`).
// SPDX-License-Identifier: Apache-2.0

/// Parses and prints the duration syntax of the configuration file and environment.
///
/// A duration is a whole number with a unit: `ms`, `s`, `m` or `h` (`250ms`, `10s`, `5m`).
/// A bare number means milliseconds, which is what the IoTFlow deployments' variables
/// (`INFLUXDB_TIMEOUT=5000`, `INFLUXDB_FLUSH_INTERVAL=10000`) already carry.
public enum ConfigDuration {
    /// The duration `text` denotes, or nil when it is not one.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingSpaces
        let digits = trimmed.prefix(while: \.isASCIIDigit)
        guard !digits.isEmpty, digits.count <= 12, let value = Int64(digits) else { return nil }
        switch trimmed.dropFirst(digits.count) {
        case "", "ms": return .milliseconds(value)
        case "s": return .seconds(value)
        case "m": return .seconds(value * 60)
        case "h": return .seconds(value * 3600)
        default: return nil
        }
    }

    /// The shortest exact spelling: `10s` rather than `10000ms`, `1500ms` when not whole seconds.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        if milliseconds % 3_600_000 == 0 && milliseconds != 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 60_000 == 0 && milliseconds != 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }
}

extension Duration {
    /// The whole number of milliseconds (truncated).
    public var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let start = firstIndex { $0 != " " } ?? endIndex
        let end = lastIndex { $0 != " " }.map(index(after:)) ?? start
        return self[start..<max(start, end)]
    }
}
