// iotflow-bridge: how the writer retries, when it stops trying for a while, where refusals go.
// SPDX-License-Identifier: Apache-2.0

/// The `retry` section: backoff between failed write attempts.
public struct RetryConfiguration: Equatable, Sendable {
    /// Shortest delay after a failure, 100 ms – 1 h (`retry.initial`).
    public var initial: Duration
    /// Longest delay, at least `initial`, at most 1 h (`retry.max`).
    public var maximum: Duration

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(60)) {
        self.initial = initial
        self.maximum = maximum
    }
}

/// The `breaker` section: the circuit breaker in front of InfluxDB.
public struct BreakerConfiguration: Equatable, Sendable {
    /// Consecutive failed attempts that open the breaker, 1 – 1000 (`breaker.failures`).
    public var failures: Int
    /// How long it stays open before one probe write, 1 s – 1 h (`breaker.open_for`).
    public var openFor: Duration
    /// The cool-down doubles after each failed probe up to this, at least `open_for`, at most 24 h
    /// (`breaker.max_open_for`).
    public var maximumOpenFor: Duration

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(failures: Int = 5, openFor: Duration = .seconds(60), maximumOpenFor: Duration = .seconds(600)) {
        self.failures = failures
        self.openFor = openFor
        self.maximumOpenFor = maximumOpenFor
    }
}

/// The `delivery` section: how long a batch the server refuses may hold up the others.
public struct DeliveryConfiguration: Equatable, Sendable {
    /// How long a batch may take to settle once InfluxDB first rejected some of its lines,
    /// counting only time while it answers (an outage spends none); what is still unsettled
    /// then is dead-lettered with the server's last reason. 1 s – 1 h (`delivery.max_settle_time`).
    public var maxSettleTime: Duration

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(maxSettleTime: Duration = .seconds(30)) {
        self.maxSettleTime = maxSettleTime
    }
}

/// The `dead_letters` section: where refused data is kept for an operator, in two files with
/// their own rotation, so that junk from devices can never push out what InfluxDB rejected.
public struct DeadLetterConfiguration: Equatable, Sendable {
    /// The JSON-lines file of lines InfluxDB rejected (`dead_letters.path`); rotated files get
    /// `.1`, `.2`, … appended. `iotflow-bridge dead-letters replay` reads it.
    public var path: String
    /// Size at which `path` is rotated, 64 KiB – 64 GiB (`dead_letters.max_bytes`).
    public var maxBytes: Int
    /// Rotated files of `path` kept besides the current one, 0 – 100 (`dead_letters.max_files`).
    public var maxFiles: Int
    /// The JSON-lines file of MQTT messages the mapping refused, one record a message
    /// (`dead_letters.refused_path`); empty means `path` with `.refused` before its `.jsonl`
    /// (`dead-letters.refused.jsonl`).
    public var refusedPath: String
    /// Size at which the refused-messages file is rotated, 64 KiB – 64 GiB (`dead_letters.refused_max_bytes`).
    public var refusedMaxBytes: Int
    /// Rotated refused-messages files kept, 0 – 100 (`dead_letters.refused_max_files`).
    public var refusedMaxFiles: Int

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(
        path: String = "/var/lib/iotflow-bridge/dead-letters.jsonl",
        maxBytes: Int = 64 * 1024 * 1024,
        maxFiles: Int = 4,
        refusedPath: String = "",
        refusedMaxBytes: Int = 64 * 1024 * 1024,
        refusedMaxFiles: Int = 4
    ) {
        self.path = path
        self.maxBytes = maxBytes
        self.maxFiles = maxFiles
        self.refusedPath = refusedPath
        self.refusedMaxBytes = refusedMaxBytes
        self.refusedMaxFiles = refusedMaxFiles
    }

    /// The refused-messages file: `refusedPath`, or `path` with `.refused` before its `.jsonl`.
    public var resolvedRefusedPath: String {
        guard refusedPath.isEmpty else { return refusedPath }
        guard path.hasSuffix(".jsonl") else { return path + ".refused" }
        return String(path.dropLast(6)) + ".refused.jsonl"
    }
}

extension RetryConfiguration {
    /// The section's keys, in file order.
    static let keys: [SectionKey<Self>] = [
        .key("initial", \.initial, .duration, .within(.milliseconds(100)...Duration.seconds(3600))),
        .key("max", \.maximum, .duration, .within(.milliseconds(100)...Duration.seconds(3600))),
    ]
}

extension BreakerConfiguration {
    /// The section's keys, in file order.
    static let keys: [SectionKey<Self>] = [
        .key("failures", \.failures, .int, .within(1...1000)),
        .key("open_for", \.openFor, .duration, .within(.seconds(1)...Duration.seconds(3600))),
        .key("max_open_for", \.maximumOpenFor, .duration, .within(.seconds(1)...Duration.seconds(86_400))),
    ]
}

extension DeliveryConfiguration {
    /// The section's keys, in file order.
    static let keys: [SectionKey<Self>] = [
        .key("max_settle_time", \.maxSettleTime, .duration, .within(.seconds(1)...Duration.seconds(3600)))
    ]
}

extension DeadLetterConfiguration {
    /// The section's keys, in file order.
    static let keys: [SectionKey<Self>] = [
        .key("path", \.path, .string, .notEmpty),
        .key("max_bytes", \.maxBytes, .int, .within(64 * 1024...64 * 1024 * 1024 * 1024, fileSizeMessage)),
        .key("max_files", \.maxFiles, .int, .within(0...100)),
        .key("refused_path", \.refusedPath, .string),
        .key(
            "refused_max_bytes",
            \.refusedMaxBytes,
            .int,
            .within(64 * 1024...64 * 1024 * 1024 * 1024, fileSizeMessage)
        ),
        .key("refused_max_files", \.refusedMaxFiles, .int, .within(0...100)),
    ]

    private static let fileSizeMessage = "must be between 65536 (64 KiB) and 68719476736 (64 GiB)"
}
