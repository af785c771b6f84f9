// iotflow-bridge: a thread loop's heartbeat, for the systemd watchdog.
// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// The instant a thread loop last vouched for itself, and one flag it publishes with it (the MQTT
/// loop: connected; the writer loop: backing off).
///
/// The loop beats once per iteration, never per message: one clock read and two relaxed atomic
/// stores. Relaxed is enough: the readers (the notifier's ticks) only compare instants, and no
/// other memory is published through them. Safe from any thread.
final class ThreadHeartbeat: Sendable {
    /// The instant nanoseconds are counted from (an `Atomic` cannot hold an instant).
    private let origin = ContinuousClock.now
    /// Nanoseconds after `origin` the loop vouched for itself up to; -1 before its first beat.
    private let vouched = Atomic<Int>(-1)
    private let published = Atomic<Bool>(false)

    init() {}

    /// Records progress at `now` (a clock reading the loop already took, or the clock), vouching
    /// for the loop up to `until` when it is about to wait longer than a turn (a backoff), and
    /// publishes `flag`.
    @inline(__always)
    func beat(at now: ContinuousClock.Instant = .now, flag: Bool = false, until: ContinuousClock.Instant? = nil) {
        vouched.store(nanoseconds(max(now, until ?? now) - origin), ordering: .relaxed)
        published.store(flag, ordering: .relaxed)
    }

    /// The instant the loop vouched for itself up to; nil before its first beat.
    var vouchedUntil: ContinuousClock.Instant? {
        let value = vouched.load(ordering: .relaxed)
        return value < 0 ? nil : origin + .nanoseconds(value)
    }

    /// The flag of the last beat.
    var flag: Bool { published.load(ordering: .relaxed) }

    private func nanoseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
    }
}
