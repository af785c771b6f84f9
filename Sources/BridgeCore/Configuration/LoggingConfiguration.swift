// iotflow-bridge: log level and the periodic summary.
// SPDX-License-Identifier: Apache-2.0

/// Log levels, as swift-log names them.
public enum LogLevel: String, CaseIterable, Equatable, Sendable {
    case trace, debug, info, notice, warning, error, critical
}

/// The `logging` section.
public struct LoggingConfiguration: Equatable, Sendable {
    /// Lowest level written (`logging.level`).
    public var level: LogLevel
    /// How often the counters summary is logged, 1 s – 1 h (`logging.summary_interval`).
    public var summaryInterval: Duration

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(level: LogLevel = .info, summaryInterval: Duration = .seconds(60)) {
        self.level = level
        self.summaryInterval = summaryInterval
    }
}

extension LoggingConfiguration {
    /// The section's keys, in file order.
    static let keys: [SectionKey<Self>] = [
        .key("level", \.level, .choice),
        .key("summary_interval", \.summaryInterval, .duration, .within(.seconds(1)...Duration.seconds(3600))),
    ]
}
