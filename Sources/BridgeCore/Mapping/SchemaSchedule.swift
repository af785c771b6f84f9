// iotflow-bridge: when the schema reader reads InfluxDB's field types next.
// SPDX-License-Identifier: Apache-2.0

/// When to read the schema: at start-up, again after a failed read (backoff from 1 s to 60 s
/// with jitter, so InfluxDB being down never stops anything), and after a refresh request (a
/// rejected type conflict), at most once per `refreshInterval` (10 s). A sink without field types is
/// never read again.
///
/// A state machine as a value: the schema thread passes in the time, sleeps until `nextRead`
/// (or a request), reads when it is due, and reports the outcome. Tests step the time by hand.
public struct SchemaSchedule: Sendable {
    /// The shortest time between two reads that a refresh request can cause, by default.
    public static let defaultRefreshInterval: Duration = .seconds(10)

    private enum State: Equatable {
        /// A read is due at this instant.
        case due(ContinuousClock.Instant)
        /// The schema is current; the next read waits for a refresh request.
        case idle
        /// The sink keeps no field types: no more reads.
        case retired
    }

    private var state: State
    private var lastRead: ContinuousClock.Instant?
    private var failures = 0
    private let backoff = RetryPolicy(initial: .seconds(1), maximum: .seconds(60))
    /// The shortest time between two reads that a refresh request can cause.
    public let refreshInterval: Duration

    /// A schedule whose first read is due at `now` (start-up).
    public init(now: ContinuousClock.Instant, refreshInterval: Duration = defaultRefreshInterval) {
        state = .due(now)
        self.refreshInterval = refreshInterval
    }

    /// When the next read is due; nil when none is planned (wait for a refresh request).
    public var nextRead: ContinuousClock.Instant? {
        guard case .due(let instant) = state else { return nil }
        return instant
    }

    /// Whether a read is due at `now`.
    public func isDue(at now: ContinuousClock.Instant) -> Bool {
        nextRead.map { $0 <= now } ?? false
    }

    /// Consecutive failed reads so far.
    public var consecutiveFailures: Int { failures }

    /// A read started at `now` succeeded: the next waits for a refresh request.
    public mutating func readSucceeded(at now: ContinuousClock.Instant) {
        lastRead = now
        failures = 0
        state = .idle
    }

    /// A read started at `now` failed: the next is due after the backoff (`random` in 0...1 for
    /// the jitter, as `RetryPolicy.delay` takes it).
    public mutating func readFailed(at now: ContinuousClock.Instant, random: Double) {
        lastRead = now
        failures += 1
        state = .due(now + backoff.delay(afterFailures: failures, random: random))
    }

    /// The sink answered that it keeps no field types: never read again.
    public mutating func sinkHasNoFieldTypes() {
        state = .retired
    }

    /// Something (the writer, after InfluxDB rejected a type conflict) asks for a fresh read at
    /// `now`: due at once, or `refreshInterval` after the last read if that is later. A read
    /// already due (a retry after a failure) keeps its time.
    public mutating func refreshRequested(at now: ContinuousClock.Instant) {
        guard state == .idle else { return }
        let earliest = lastRead.map { $0 + refreshInterval } ?? now
        state = .due(max(now, earliest))
    }
}
