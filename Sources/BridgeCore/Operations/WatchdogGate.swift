// iotflow-bridge: whether the bridge may tell systemd's watchdog it is alive.
// SPDX-License-Identifier: Apache-2.0

/// Decides, at each watchdog tick, whether to send `WATCHDOG=1`: only while both thread loops
/// (the MQTT thread's and the writer thread's) make progress. A process that merely exists is
/// not alive: a loop stuck in `fdatasync`, a blocking connect or a hung request stops the pings,
/// and systemd restarts the bridge (the durable buffer keeps what it held).
///
/// Each loop vouches for itself up to an instant: its last heartbeat, or the end of a wait it
/// announced (a reconnect backoff, a write backoff, the breaker's cool-down), whichever is later.
/// A loop is stalled once `now` is more than ``staleAfter`` past that instant.
///
/// ``staleAfter`` is the watchdog interval (`WATCHDOG_USEC`, `WatchdogSec=`), but never less than
/// ``minimumStaleAfter``: an idle loop turns about once a second (the MQTT poll and the writer's
/// wait for points both end within 1 s), so a shorter window would call an idle loop stuck. With
/// `WatchdogSec=30s`, a loop stuck at 12:00:00 stops the pings from 12:00:30 at the latest, and
/// systemd restarts the bridge by 12:01:00.
///
/// A pure value: time comes in as an argument, so tests step it by hand. Confined to one task.
public struct WatchdogGate: Sendable {
    /// A thread whose loop the gate watches.
    public enum LoopThread: String, Equatable, Sendable {
        case mqtt
        case writer
    }

    /// What one tick decided.
    public struct Tick: Equatable, Sendable {
        /// Whether to send `WATCHDOG=1` now.
        public var ping: Bool
        /// A change worth one log line: the pings stopped or resumed; nil otherwise.
        public var transition: Transition?

        /// A tick's verdict.
        public init(ping: Bool, transition: Transition?) {
            self.ping = ping
            self.transition = transition
        }
    }

    /// A change in the gate's verdict, logged once per change.
    public enum Transition: Equatable, Sendable {
        /// The pings stop: these loops have not vouched for themselves for longer than `staleAfter`.
        case stalled([LoopThread])
        /// Both loops make progress again, and the pings resume.
        case resumed
    }

    /// The shortest ``staleAfter``: 3 s, three turns of an idle loop.
    public static let minimumStaleAfter = Duration.seconds(3)

    /// How long past the instant it vouched for a loop may stay quiet before it counts as stalled.
    public let staleAfter: Duration
    /// The loops stalled at the last tick, in ``LoopThread`` order; empty while the pings go out.
    public private(set) var stalled: [LoopThread] = []

    /// A gate for a watchdog interval (`WATCHDOG_USEC`), with nothing stalled yet.
    public init(watchdogInterval: Duration) {
        staleAfter = max(watchdogInterval, Self.minimumStaleAfter)
    }

    /// One tick at `now`, given the instant each loop vouched for itself up to.
    public mutating func tick(
        mqtt: ContinuousClock.Instant,
        writer: ContinuousClock.Instant,
        at now: ContinuousClock.Instant
    ) -> Tick {
        var nowStalled: [LoopThread] = []
        if now - mqtt > staleAfter { nowStalled.append(.mqtt) }
        if now - writer > staleAfter { nowStalled.append(.writer) }
        let transition: Transition?
        switch (stalled.isEmpty, nowStalled.isEmpty) {
        case (true, false): transition = .stalled(nowStalled)
        case (false, true): transition = .resumed
        case (false, false) where nowStalled != stalled: transition = .stalled(nowStalled)
        default: transition = nil
        }
        stalled = nowStalled
        return Tick(ping: nowStalled.isEmpty, transition: transition)
    }
}
