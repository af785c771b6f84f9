// iotflow-bridge: dead-letter records the writer must write before their batch leaves the buffer.
// SPDX-License-Identifier: Apache-2.0

/// The records of lines a batch dead-letters, held until the dead-letter file has them, and when
/// to try writing them again after the file refused.
///
/// A refused line leaves the buffer only once its record is written, so the writer keeps a
/// finished batch at the front of the buffer while this holds records. After a failed write the
/// next try waits `RetryPolicy.delay(afterFailures:)`; with `retry.initial` 1 s and `retry.max`
/// 60 s: 1 s, then 1–2 s, 1–4 s, … up to 1–60 s. The writer performs what the events say: log
/// the first failure (naming the path) and then at a bounded rate, and a notice at recovery.
///
/// A pure value, confined to its owner (the writer thread); time comes in as `now`.
public struct DeadLetterBacklog: Sendable {
    /// What a write attempt changed, for the writer to log.
    public enum Event: Equatable, Sendable {
        /// The write failed; the records stay, the next try is at `retryAt`. `first` marks the
        /// first failure of a streak.
        case failed(first: Bool, retryAt: ContinuousClock.Instant)
        /// The write worked after `failures` failed tries.
        case recovered(failures: Int)
    }

    /// Records not written yet, oldest first.
    public private(set) var records: [DeadLetter] = []
    private var failures = 0
    /// When the next write may be tried; nil when at once.
    public private(set) var retryAt: ContinuousClock.Instant?
    private let policy: RetryPolicy

    /// An empty backlog whose retries follow `policy`.
    public init(policy: RetryPolicy) {
        self.policy = policy
    }

    /// Whether every record was written.
    public var isEmpty: Bool { records.isEmpty }

    /// Adds records to write (they go after those already waiting).
    public mutating func add(_ letters: some Sequence<DeadLetter>) {
        records.append(contentsOf: letters)
    }

    /// Whether a write should be tried at `now`: records wait and no retry is due later.
    public func isDue(at now: ContinuousClock.Instant) -> Bool {
        !records.isEmpty && retryAt.map { now >= $0 } ?? true
    }

    /// The first `written` records (clamped to 0…count) reached the file at `now`; the rest, if any,
    /// did not. `random` (0…1) places the retry within the backoff's jitter.
    public mutating func wrote(_ written: Int, at now: ContinuousClock.Instant, random: Double) -> Event? {
        records.removeFirst(min(max(written, 0), records.count))
        guard !records.isEmpty else {
            defer {
                failures = 0
                retryAt = nil
            }
            return failures > 0 ? .recovered(failures: failures) : nil
        }
        failures += 1
        let next = now + policy.delay(afterFailures: failures, random: random)
        retryAt = next
        return .failed(first: failures == 1, retryAt: next)
    }
}
