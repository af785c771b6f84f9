// iotflow-bridge: the breaker that stops writes to a failing server and probes it back.
// SPDX-License-Identifier: Apache-2.0

/// Stops writing after `failureThreshold` consecutive failed writes, waits out a cool-down,
/// then lets one probe batch through: `closed` → `open` → `halfOpen` → `closed`.
///
/// The owner asks ``decide(at:)`` before each write and reports each write's result through
/// ``writeSucceeded()`` or ``writeFailed(at:)``. Each event returns an ``Action``, which is not
/// ``Action/none`` exactly when the state changed, so the owner logs each transition once.
/// While open, nothing is sent and the buffer keeps absorbing points. Every failed probe
/// doubles the cool-down, up to `maximumOpenFor`; a success resets it to `openFor`.
///
/// Worked timeline with the defaults (threshold 5, `openFor` 60 s, `maximumOpenFor` 600 s):
///
/// | time  | event             | returns                                        | state after      |
/// | ----- | ----------------- | ---------------------------------------------- | ---------------- |
/// | 0–3 s | 4 × `writeFailed` | `.none`                                        | closed           |
/// | 4 s   | `writeFailed`     | `.opened(until: 64 s, consecutiveFailures: 5)` | open until 64 s  |
/// | 30 s  | `decide`          | `.wait(until: 64 s)`                           | open until 64 s  |
/// | 64 s  | `decide`          | `.sendProbe`                                   | halfOpen         |
/// | 64 s  | `writeFailed`     | `.reopened(until: 184 s)` (64 + 120)           | open until 184 s |
/// | 184 s | `decide`          | `.sendProbe`                                   | halfOpen         |
/// | 184 s | `writeSucceeded`  | `.closed`                                      | closed, count 0  |
///
/// Further failed probes would have waited 240 s, 480 s, then 600 s each time.
///
/// One ordering rule: ``decide(at:)`` is what moves an expired `open` to `halfOpen`, so a
/// write that was already in flight when the breaker opened, and fails, only adds to the
/// count (`.none`), while one that succeeds closes the breaker (`.closed`). `halfOpen` keeps
/// answering ``Decision/sendProbe`` until a probe's result is reported, so a probe abandoned
/// (for example, an empty buffer) is simply sent later.
///
/// A pure value: time comes in as an argument, so tests step it by hand. Confine it to the
/// writer's loop (task-confined state); it is `Sendable` only so it can be built elsewhere.
public struct CircuitBreaker: Sendable {
    /// Where the breaker is in its cycle.
    public enum State: Equatable, Sendable {
        /// Writes flow normally.
        case closed
        /// Nothing is sent before `until`.
        case open(until: ContinuousClock.Instant)
        /// The cool-down is over and one probe batch is being tried.
        case halfOpen
    }

    /// What the owner does about the next write.
    public enum Decision: Equatable, Sendable {
        /// Write as usual.
        case send
        /// Write one small probe batch and report its result before asking again.
        case sendProbe
        /// Send nothing; ask again at `until`.
        case wait(until: ContinuousClock.Instant)
    }

    /// What the owner does after an event: `.none`, or log the transition once.
    public enum Action: Equatable, Sendable {
        /// Nothing changed.
        case none
        /// The threshold was reached from `closed`; nothing is sent before `until`.
        case opened(until: ContinuousClock.Instant, consecutiveFailures: Int)
        /// A write succeeded after the breaker had opened; writes flow again.
        case closed
        /// The probe failed; the doubled cool-down ends at `until`.
        case reopened(until: ContinuousClock.Instant)
    }

    /// The current state; changed only through ``decide(at:)`` and the event methods.
    public private(set) var state: State = .closed
    /// Failed writes since the last success (0 or more).
    public private(set) var consecutiveFailures = 0

    private let failureThreshold: Int
    private let openFor: Duration
    private let maximumOpenFor: Duration
    /// The next cool-down: `openFor`, doubled by each failed probe up to `maximumOpenFor`.
    private var coolDown: Duration

    /// Whether writes are held back (`open` or `halfOpen`), for the breaker gauge.
    public var isOpen: Bool {
        state != .closed
    }

    /// A closed breaker.
    ///
    /// - Parameters:
    ///   - failureThreshold: consecutive failed writes that open it, 1 or more (a smaller
    ///     value counts as 1).
    ///   - openFor: the first cool-down, at least zero (a negative value counts as zero).
    ///   - maximumOpenFor: the longest cool-down after repeated failed probes; a value below
    ///     `openFor` counts as `openFor`.
    public init(failureThreshold: Int = 5, openFor: Duration = .seconds(60), maximumOpenFor: Duration = .seconds(600)) {
        self.failureThreshold = max(failureThreshold, 1)
        self.openFor = max(openFor, .zero)
        self.maximumOpenFor = max(maximumOpenFor, self.openFor)
        self.coolDown = self.openFor
    }

    /// Whether to write at `now`. An `open` breaker whose cool-down has ended becomes
    /// `halfOpen` here and answers ``Decision/sendProbe``.
    public mutating func decide(at now: ContinuousClock.Instant) -> Decision {
        switch state {
        case .closed:
            return .send
        case .open(let until) where now < until:
            return .wait(until: until)
        case .open, .halfOpen:
            state = .halfOpen
            return .sendProbe
        }
    }

    /// A write (or probe) was accepted: the failure count and the cool-down reset, and an
    /// open or half-open breaker closes.
    public mutating func writeSucceeded() -> Action {
        consecutiveFailures = 0
        coolDown = openFor
        guard state != .closed else { return .none }
        state = .closed
        return .closed
    }

    /// A write failed at `now` in a way worth retrying. Opens the breaker when the count
    /// reaches the threshold; a failed probe reopens it for twice the previous cool-down.
    public mutating func writeFailed(at now: ContinuousClock.Instant) -> Action {
        consecutiveFailures += 1
        switch state {
        case .closed:
            guard consecutiveFailures >= failureThreshold else { return .none }
            let until = now + coolDown
            state = .open(until: until)
            return .opened(until: until, consecutiveFailures: consecutiveFailures)
        case .halfOpen:
            // Doubling by comparison first, so a huge `maximumOpenFor` cannot overflow.
            coolDown = coolDown <= maximumOpenFor - coolDown ? coolDown + coolDown : maximumOpenFor
            let until = now + coolDown
            state = .open(until: until)
            return .reopened(until: until)
        case .open:
            // A write that was in flight when the breaker opened: count it, change nothing.
            return .none
        }
    }
}
