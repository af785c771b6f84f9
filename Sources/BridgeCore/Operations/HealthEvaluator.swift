// iotflow-bridge: the three health checks, decided from what the bridge knows at one moment.
// SPDX-License-Identifier: Apache-2.0

/// Decides the `mqtt`, `influxdb` and `buffer` checks of `/health` from `Inputs` and the time.
/// Pure: the observatory gathers the inputs, tests pass them with a made-up `now`.
///
/// The rules (docs/operations.md, "Health"):
/// - **mqtt**: pass while connected; warn while disconnected (or not yet connected since the start)
///   for less than `mqttGrace` (30 s); fail after that.
/// - **influxdb**: fail while the circuit breaker is open, or when the last request failed, points
///   are buffered and no request has succeeded for `writeGrace` (60 s); warn when the last request
///   failed (the writer retries); when the writer has been idle for `idleAfter` (10 s), InfluxDB's
///   own ping decides: warn when it does not answer. Otherwise pass.
/// - **buffer**: fail when intake is paused for room or points were dropped for room within the
///   last minute; warn from 80 % of the capacity; pass below.
public struct HealthEvaluator: Sendable {
    /// What a ping of InfluxDB found.
    public struct Ping: Equatable, Sendable {
        public var at: ContinuousClock.Instant
        /// Nil when InfluxDB answered as healthy; else what went wrong.
        public var failure: String?
        /// `X-Influxdb-Version`, when it said.
        public var version: String?

        /// A ping result.
        public init(at: ContinuousClock.Instant, failure: String?, version: String?) {
            self.at = at
            self.failure = failure
            self.version = version
        }
    }

    /// Everything the checks depend on.
    public struct Inputs: Equatable, Sendable {
        /// When the bridge started (the MQTT grace and the first write count from here).
        public var startedAt: ContinuousClock.Instant
        public var mqttConnected: Bool
        /// When the MQTT connection last came up or went down; nil before the first change.
        public var mqttChangedAt: ContinuousClock.Instant?
        public var breakerOpen: Bool
        /// When a write request last succeeded, and last failed (with the reason).
        public var lastSuccess: ContinuousClock.Instant?
        public var lastFailure: (at: ContinuousClock.Instant, reason: String)?
        /// The last ping while the writer was idle.
        public var ping: Ping?
        public var bufferedPoints: Int
        public var bufferedBytes: Int
        public var capacityBytes: Int
        public var intakePaused: Bool
        /// Points dropped for room within the last minute.
        public var recentlyDropped: Int

        /// Inputs; the defaults describe a bridge that has done nothing yet.
        public init(
            startedAt: ContinuousClock.Instant,
            mqttConnected: Bool = false,
            mqttChangedAt: ContinuousClock.Instant? = nil,
            breakerOpen: Bool = false,
            lastSuccess: ContinuousClock.Instant? = nil,
            lastFailure: (at: ContinuousClock.Instant, reason: String)? = nil,
            ping: Ping? = nil,
            bufferedPoints: Int = 0,
            bufferedBytes: Int = 0,
            capacityBytes: Int = 1,
            intakePaused: Bool = false,
            recentlyDropped: Int = 0
        ) {
            self.startedAt = startedAt
            self.mqttConnected = mqttConnected
            self.mqttChangedAt = mqttChangedAt
            self.breakerOpen = breakerOpen
            self.lastSuccess = lastSuccess
            self.lastFailure = lastFailure
            self.ping = ping
            self.bufferedPoints = bufferedPoints
            self.bufferedBytes = bufferedBytes
            self.capacityBytes = capacityBytes
            self.intakePaused = intakePaused
            self.recentlyDropped = recentlyDropped
        }

        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.startedAt == rhs.startedAt && lhs.mqttConnected == rhs.mqttConnected
                && lhs.mqttChangedAt == rhs.mqttChangedAt && lhs.breakerOpen == rhs.breakerOpen
                && lhs.lastSuccess == rhs.lastSuccess && lhs.lastFailure?.at == rhs.lastFailure?.at
                && lhs.lastFailure?.reason == rhs.lastFailure?.reason && lhs.ping == rhs.ping
                && lhs.bufferedPoints == rhs.bufferedPoints && lhs.bufferedBytes == rhs.bufferedBytes
                && lhs.capacityBytes == rhs.capacityBytes && lhs.intakePaused == rhs.intakePaused
                && lhs.recentlyDropped == rhs.recentlyDropped
        }
    }

    /// Disconnected for less than this is warn, longer is fail.
    public var mqttGrace = Duration.seconds(30)
    /// No successful write for longer than this, with points waiting and the last request failed, is fail.
    public var writeGrace = Duration.seconds(60)
    /// No request finished for this long: the writer is idle and the ping decides.
    public var idleAfter = Duration.seconds(10)
    /// A ping older than this says nothing any more.
    public var pingFreshness = Duration.seconds(30)
    /// The buffer warns from this fraction of its capacity.
    public var bufferWarnFraction = 0.8

    /// The evaluator with the documented thresholds.
    public init() {}

    /// The three checks, keyed `mqtt`, `influxdb` and `buffer`.
    public func checks(_ inputs: Inputs, now: ContinuousClock.Instant) -> [String: HealthCheck] {
        ["mqtt": mqtt(inputs, now: now), "influxdb": influxdb(inputs, now: now), "buffer": buffer(inputs)]
    }

    func mqtt(_ inputs: Inputs, now: ContinuousClock.Instant) -> HealthCheck {
        if inputs.mqttConnected { return HealthCheck(status: .pass, message: "connected to the broker") }
        let since = inputs.mqttChangedAt ?? inputs.startedAt
        let seconds = Int((now - since) / .seconds(1))
        let what = inputs.mqttChangedAt == nil ? "not connected since the start" : "disconnected"
        let status: HealthStatus = now - since < mqttGrace ? .warn : .fail
        return HealthCheck(status: status, message: "\(what) for \(seconds) s; reconnecting")
    }

    func influxdb(_ inputs: Inputs, now: ContinuousClock.Instant) -> HealthCheck {
        let version = inputs.ping?.version
        if inputs.breakerOpen {
            return HealthCheck(status: .fail, message: "circuit breaker open: writes paused", version: version)
        }
        if let failure = inputs.lastFailure, failure.at >= (inputs.lastSuccess ?? failure.at) {
            // A ping that answered after the failure says InfluxDB is back; the next retry writes.
            if let ping = inputs.ping, ping.at > failure.at, ping.failure == nil {
                return HealthCheck(status: .pass, message: "answers its ping; the writer retries", version: version)
            }
            let lastGood = inputs.lastSuccess ?? inputs.startedAt
            if inputs.bufferedPoints > 0 && now - lastGood > writeGrace {
                let seconds = Int((now - lastGood) / .seconds(1))
                return HealthCheck(
                    status: .fail,
                    message: "no write succeeded for \(seconds) s: \(failure.reason)",
                    version: version
                )
            }
            return HealthCheck(
                status: .warn,
                message: "last write failed, retrying: \(failure.reason)",
                version: version
            )
        }
        let lastRequest = max(inputs.lastSuccess ?? inputs.startedAt, inputs.lastFailure?.at ?? inputs.startedAt)
        if now - lastRequest >= idleAfter, let ping = inputs.ping, now - ping.at <= pingFreshness,
            let failure = ping.failure
        {
            return HealthCheck(status: .warn, message: "does not answer its ping: \(failure)", version: version)
        }
        return HealthCheck(status: .pass, message: "writes succeed", version: version)
    }

    func buffer(_ inputs: Inputs) -> HealthCheck {
        let fraction = Double(inputs.bufferedBytes) / Double(max(inputs.capacityBytes, 1))
        let percent = Int((fraction * 100).rounded(.down))
        if inputs.intakePaused {
            return HealthCheck(status: .fail, message: "full (\(percent) %): intake paused")
        }
        if inputs.recentlyDropped > 0 {
            return HealthCheck(
                status: .fail,
                message: "full: \(inputs.recentlyDropped) points dropped for room in the last minute"
            )
        }
        if fraction >= bufferWarnFraction {
            return HealthCheck(status: .warn, message: "\(percent) % full")
        }
        return HealthCheck(status: .pass, message: "\(percent) % full")
    }
}
