// iotflow-bridge: the writer loop as a value: batch, send, back off, hold dead letters, drain.
// SPDX-License-Identifier: Apache-2.0

/// The writer loop's decisions, as a pure state machine: the writer thread asks
/// ``nextCommand(at:)`` what to do, does it, and reports what happened through
/// ``handle(_:at:random:)``, performing the ``Effect``s that returns. Time comes in as `now` and
/// randomness (flush jitter, backoff jitter) as `random` in 0...1, so tests step both by hand.
///
/// **Phases.** `waiting` for points until `batch_size` are held or the flush deadline
/// (`flush_interval` + `flush_jitter` × random) passes → `due` (peek the batch; a batch that
/// cannot be read pauses 1 s) → `sending` the batch's requests → `holding` it, complete, until
/// its dead letters are written → removed, `waiting` again.
///
/// **Sending** composes the delivery values: `RetryPolicy` gives the next attempt after a failure
/// (never sooner than `Retry-After`), counted by `CircuitBreaker`'s consecutive failures (the one
/// failure count); the breaker's decision holds requests while open and cuts a half-open probe to
/// ``probeLines``; `RequestSizeLimit` caps the bytes; `DeadLetterBacklog` holds rejected lines'
/// records until the dead-letter file takes them, retrying on the `retry` schedule.
///
/// **Draining.** After ``Event/stopRequested`` the machine drains: no waiting for points, batches
/// go back to back, and ``Command/finish(held:deadLetters:)`` comes once the buffer is empty or
/// at `shutdown.drain`, also when a wait would end past it.
///
/// Worked example (`batch_size` 3, `flush_interval` 10 s, no jitter, `retry` 1 s…60 s, random 1):
/// t 0 `waitForPoints(3, until: 10 s)`; 2 points held at 10 s → `peekBatch`; 503 at 10 s → wait
/// until 11 s; 503 → 13 s; accepted at 13 s → `removeBatch`, `waitForPoints(3, until: 23 s)`.
///
/// A value confined to the writer thread; `Sendable` only so it can be built elsewhere.
public struct WriterStateMachine: Sendable {
    /// Where the writer is with its batch.
    public enum Phase: Equatable, Sendable {
        /// Waiting for `batch_size` points or the flush deadline.
        case waiting
        /// A batch is due: peek it.
        case due
        /// The buffer held points but none could be read: look again at `until`.
        case pausing(until: ContinuousClock.Instant)
        /// A batch is out: its requests are being sent.
        case sending
        /// The batch is complete; its dead letters are not all written yet.
        case holding
        /// The drain is over.
        case finished
    }

    /// Lines a half-open breaker's probe carries at most.
    public static let probeLines = 100

    /// The current phase.
    public internal(set) var phase: Phase = .waiting
    /// When a partial batch is flushed (while `waiting`).
    public internal(set) var flushAt: ContinuousClock.Instant
    /// When the drain ends; nil while running.
    public private(set) var drainDeadline: ContinuousClock.Instant?
    /// The `influxdb` settings in use: the configuration's at start, then each reload's.
    public private(set) var influx: InfluxConfiguration
    /// The breaker; its state is what the `breaker_state` gauge shows.
    public internal(set) var breaker: CircuitBreaker
    /// The request size the server accepts.
    public internal(set) var sizeLimit: RequestSizeLimit
    /// Dead-letter records not written yet.
    public internal(set) var backlog: DeadLetterBacklog

    // Internal rather than private for the event handlers in WriterStateMachine+Sending.swift.
    let retry: RetryPolicy
    private let breakerConfiguration: BreakerConfiguration
    private let drain: Duration
    var batch: BatchExtent?
    /// When the next request may go after a failure; nil when at once.
    var nextAttempt: ContinuousClock.Instant?
    /// Whether a failure streak is under way (its first failure is always logged, its end once).
    var failing = false
    var failureLog = LogRateLimiter(burst: 1, window: .seconds(60))
    var deadLetterFailureLog = LogRateLimiter(burst: 1, window: .seconds(60))
    /// Logs of rejected lines (per-device junk): 10 a minute, then a count of what was suppressed.
    var rejectionLog = LogRateLimiter(burst: 10, window: .seconds(60))

    /// A machine waiting for the first batch, whose flush deadline is `now` plus the flush
    /// interval and `random` (0...1) of the jitter.
    public init(configuration: BridgeConfiguration, now: ContinuousClock.Instant, random: Double) {
        influx = configuration.influxdb
        retry = RetryPolicy(initial: configuration.retry.initial, maximum: configuration.retry.maximum)
        breakerConfiguration = configuration.breaker
        breaker = Self.makeBreaker(configuration.breaker)
        backlog = DeadLetterBacklog(policy: retry)
        sizeLimit = RequestSizeLimit(ceiling: configuration.influxdb.maxBatchBytes)
        drain = configuration.shutdown.drain
        flushAt = now
        flushAt = now + flushDelay(random: random)
    }

    /// Whether the breaker holds writes back (open or half-open): the `breaker_state` gauge.
    public var breakerIsOpen: Bool { breaker.isOpen }

    /// Whether `a` and `b` differ at most in the batching keys (`batch_size`, `max_batch_bytes`,
    /// `flush_interval`, `flush_jitter`), so a transport made for one serves the other.
    public static func sameConnection(_ a: InfluxConfiguration, _ b: InfluxConfiguration) -> Bool {
        var batchedLikeA = b
        batchedLikeA.batchSize = a.batchSize
        batchedLikeA.maxBatchBytes = a.maxBatchBytes
        batchedLikeA.flushInterval = a.flushInterval
        batchedLikeA.flushJitter = a.flushJitter
        return batchedLikeA == a
    }

    /// What the writer thread does next, at `now`.
    public mutating func nextCommand(at now: ContinuousClock.Instant) -> Command {
        if let deadline = drainDeadline, now >= deadline { phase = .finished }
        switch phase {
        case .finished:
            return .finish(held: batch, deadLetters: backlog.records)
        case .due:
            return .peekBatch(maxPoints: influx.batchSize, maxBytes: influx.maxBatchBytes)
        case .waiting, .pausing:
            // A draining writer takes what is buffered without waiting for more.
            guard drainDeadline == nil else {
                return .peekBatch(maxPoints: influx.batchSize, maxBytes: influx.maxBatchBytes)
            }
            if case .pausing(let until) = phase { return .wait(until: until, wakeEarly: true) }
            return .waitForPoints(atLeast: influx.batchSize, until: flushAt)
        case .sending:
            return sendCommand(at: now)
        case .holding:
            if backlog.isDue(at: now) { return .writeDeadLetters(backlog.records) }
            return waitCommand(until: backlog.retryAt ?? now)
        }
    }

    /// Takes in what happened at `now`; returns what to do about it at once. `random` (0...1)
    /// places a new flush deadline, backoff or dead-letter retry within its jitter.
    public mutating func handle(_ event: Event, at now: ContinuousClock.Instant, random: Double) -> [Effect] {
        switch event {
        case .stopRequested:
            if drainDeadline == nil { drainDeadline = now + drain }
            return []
        case .settingsReloaded(let reloaded, let connectionChanged):
            return use(reloaded, connectionChanged: connectionChanged, at: now, random: random)
        case .pointsWaited(let held):
            guard phase == .waiting else { return [] }
            if held >= influx.batchSize || (held > 0 && now >= flushAt) {
                phase = .due
            } else if now >= flushAt {
                flushAt = now + flushDelay(random: random)
            }
            return []
        case .batchPeeked(let points, let bytes):
            guard points > 0 else {
                // Held, but not readable now (the durable buffer logged why): try again soon.
                phase = drainDeadline == nil ? .pausing(until: now + .seconds(1)) : .finished
                return []
            }
            batch = BatchExtent(points: points, bytes: bytes)
            phase = .sending
            return []
        case .requestDone(let report):
            return requestDone(report, at: now, random: random)
        case .deadLettersWritten(let count, let error):
            return deadLettersWritten(count, error: error, at: now, random: random)
        case .waited:
            if case .pausing = phase { phase = .waiting }
            return []
        }
    }

    // MARK: - Private

    private static func makeBreaker(_ configuration: BreakerConfiguration) -> CircuitBreaker {
        CircuitBreaker(
            failureThreshold: configuration.failures,
            openFor: configuration.openFor,
            maximumOpenFor: configuration.maximumOpenFor
        )
    }

    func flushDelay(random: Double) -> Duration {
        let jitter = influx.flushJitter
        guard jitter > .zero else { return influx.flushInterval }
        return influx.flushInterval + jitter * min(max(random, 0), 1)
    }

    /// The next request of the batch, or the wait before it.
    private mutating func sendCommand(at now: ContinuousClock.Instant) -> Command {
        if backlog.isDue(at: now) { return .writeDeadLetters(backlog.records) }
        if let nextAttempt, now < nextAttempt { return waitCommand(until: nextAttempt) }
        switch breaker.decide(at: now) {
        case .send: return .sendRequest(maxLines: .max, maxBytes: sizeLimit.current)
        case .sendProbe: return .sendRequest(maxLines: Self.probeLines, maxBytes: sizeLimit.current)
        case .wait(let until): return waitCommand(until: until)
        }
    }

    /// A wait until `until`; while draining, the end of the drain when that is not sooner.
    private mutating func waitCommand(until: ContinuousClock.Instant) -> Command {
        guard let deadline = drainDeadline else { return .wait(until: until, wakeEarly: true) }
        guard until < deadline else {
            phase = .finished
            return .finish(held: batch, deadLetters: backlog.records)
        }
        return .wait(until: until, wakeEarly: false)
    }

    /// Switches to reloaded settings. Changed connection keys get a fresh backoff and breaker,
    /// since the reason for failing (a wrong token, say) may be gone. The batching keys apply from
    /// the next batch; a new `max_batch_bytes` also replaces the request size learned from 413s,
    /// whose ceiling it is, and a changed flush timing can cut the current wait short.
    private mutating func use(
        _ reloaded: InfluxConfiguration,
        connectionChanged: Bool,
        at now: ContinuousClock.Instant,
        random: Double
    ) -> [Effect] {
        var effects: [Effect] = []
        if connectionChanged {
            breaker = Self.makeBreaker(breakerConfiguration)
            nextAttempt = nil
            effects.append(.log(.reloadedConnection(url: reloaded.url)))
        }
        let old = influx
        influx = reloaded
        let timingChanged = reloaded.flushInterval != old.flushInterval || reloaded.flushJitter != old.flushJitter
        let sizeChanged = reloaded.batchSize != old.batchSize || reloaded.maxBatchBytes != old.maxBatchBytes
        guard sizeChanged || timingChanged else { return effects }
        if reloaded.maxBatchBytes != old.maxBatchBytes { sizeLimit = RequestSizeLimit(ceiling: reloaded.maxBatchBytes) }
        if timingChanged && phase == .waiting { flushAt = min(flushAt, now + flushDelay(random: random)) }
        effects.append(.log(.reloadedBatching(reloaded)))
        return effects
    }

    /// Removes the batch when it is complete and its dead letters are written.
    mutating func removeBatchIfSettled(at now: ContinuousClock.Instant, random: Double) -> [Effect] {
        guard phase == .holding, backlog.isEmpty, let settled = batch else { return [] }
        batch = nil
        phase = .waiting
        flushAt = now + flushDelay(random: random)
        return [.removeBatch(settled)]
    }
}
