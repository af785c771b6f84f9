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

/// The `dead_letters` section: where refused data is kept for an operator.
public struct DeadLetterConfiguration: Equatable, Sendable {
    /// The JSON-lines file (`dead_letters.path`); rotated files get `.1`, `.2`, … appended.
    public var path: String
    /// Size at which the file is rotated, 64 KiB – 64 GiB (`dead_letters.max_bytes`).
    public var maxBytes: Int
    /// Rotated files kept besides the current one, 0 – 100 (`dead_letters.max_files`).
    public var maxFiles: Int

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(
        path: String = "/var/lib/iotflow-bridge/dead-letters.jsonl",
        maxBytes: Int = 64 * 1024 * 1024,
        maxFiles: Int = 4
    ) {
        self.path = path
        self.maxBytes = maxBytes
        self.maxFiles = maxFiles
    }
}
