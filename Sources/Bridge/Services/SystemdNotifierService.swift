// iotflow-bridge: readiness, status and the watchdog for systemd (Type=notify).
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Tells systemd how the bridge is doing, through `SystemdNotifier`; only in the group when
/// `$NOTIFY_SOCKET` is set.
///
/// - `READY=1` once the buffer is recovered (before the group runs), both thread loops have turned
///   and the broker has granted the first subscription. A broker that is down at start therefore
///   delays READY, and systemd's `TimeoutStartSec=` decides (nothing buffered is lost).
/// - `STATUS=` whenever `ServiceStatus.line` changes, checked every tick.
/// - `WATCHDOG=1` every tick (`WATCHDOG_USEC/2`) while `WatchdogGate` finds both loops making progress.
/// - `STOPPING=1` at the first graceful-shutdown signal, then `EXTEND_TIMEOUT_USEC=` at each tick
///   while the drain still takes points out of the buffer.
///
/// It is listed first, so the group stops it last, after the writer has drained. Call `run()` once.
final class SystemdNotifierService: Service {
    private let notifier: SystemdNotifier
    private let counters: BridgeCounters
    private let buffer: any PointBufferHandle
    private let subscribed: ReadinessEvent
    private let stopSignals: [UnixSignal]
    private let logger: Logger
    /// Set once a stop signal arrived (on the signal task), read by the ticks.
    private let stopping = Atomic<Bool>(false)
    /// Whether a send has failed yet: only the first failure is logged.
    private let sendFailed = Atomic<Bool>(false)

    init(
        notifier: SystemdNotifier,
        counters: BridgeCounters,
        buffer: any PointBufferHandle,
        subscribed: ReadinessEvent,
        stopSignals: [UnixSignal],
        logger: Logger
    ) {
        self.notifier = notifier
        self.counters = counters
        self.buffer = buffer
        self.subscribed = subscribed
        self.stopSignals = stopSignals
        self.logger = logger
    }

    /// The time between ticks: half the watchdog interval, as sd_watchdog_enabled(3) advises, or
    /// 1 s without a watchdog.
    private var tick: Duration { notifier.watchdogInterval.map { $0 / 2 } ?? .seconds(1) }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            if !stopSignals.isEmpty {
                group.addTask { await self.announceStopOnSignal() }
            }
            await cancelWhenGracefulShutdown { await self.tickUntilCancelled() }
            group.cancelAll()
        }
        // A shutdown that came without a signal (an error elsewhere) is still announced.
        if !stopping.exchange(true, ordering: .relaxed) { send(["STOPPING=1"]) }
    }

    /// Sends `STOPPING=1` when the first stop signal arrives (the group sees the same signal).
    private func announceStopOnSignal() async {
        for await _ in await UnixSignalsSequence(trapping: stopSignals) {
            if !stopping.exchange(true, ordering: .relaxed) {
                send(["STOPPING=1", "STATUS=\(status(phase: .stopping).line)"])
            }
            return
        }
    }

    /// What the loop carries from one tick to the next.
    private struct TickState {
        var ready = false
        var gate: WatchdogGate?
        /// When the gate ticks next: every `tick`, also while the loop looks more often before READY.
        var nextWatchdogTick = ContinuousClock.now
        var lastStatus = ""
        var drainPoints: Int?
    }

    private func tickUntilCancelled() async {
        var state = TickState(gate: notifier.watchdogInterval.map { WatchdogGate(watchdogInterval: $0) })
        while !Task.isCancelled {
            tickOnce(&state, at: .now)
            // Before READY, look again soon, so READY follows the subscription closely.
            let pause = state.ready ? tick : min(tick, .milliseconds(100))
            do { try await Task.sleep(for: pause) } catch { return }
        }
    }

    private func tickOnce(_ state: inout TickState, at now: ContinuousClock.Instant) {
        let stopping = stopping.load(ordering: .relaxed)
        if !state.ready && !stopping && subscribed.hasFired && counters.writerHeartbeat.vouchedUntil != nil {
            state.ready = true
            state.lastStatus = status(phase: .running).line
            send(["READY=1", "STATUS=\(state.lastStatus)"])
        }
        if var gate = state.gate, now >= state.nextWatchdogTick {
            watchdogTick(&gate, at: now)
            state.gate = gate
            state.nextWatchdogTick = now + tick
        }
        let line = status(phase: stopping ? .stopping : state.ready ? .running : .starting).line
        if line != state.lastStatus {
            state.lastStatus = line
            send(["STATUS=\(line)"])
        }
        guard stopping else { return }
        let points = buffer.occupancy.points
        if let before = state.drainPoints, points < before {
            send(["EXTEND_TIMEOUT_USEC=\(SystemdNotifier.microseconds(max(tick * 3, .seconds(3))))"])
        }
        state.drainPoints = points
    }

    /// Pings while both loops vouch for themselves; a loop that has not beaten yet is starting
    /// (systemd's start timeout covers that), not stalled.
    private func watchdogTick(_ gate: inout WatchdogGate, at now: ContinuousClock.Instant) {
        let decision = gate.tick(
            mqtt: counters.mqttHeartbeat.vouchedUntil ?? now,
            writer: counters.writerHeartbeat.vouchedUntil ?? now,
            at: now
        )
        if decision.ping { send(["WATCHDOG=1"]) }
        switch decision.transition {
        case .stalled(let threads):
            logger.error(
                "Watchdog pings withheld: a thread loop makes no progress; systemd restarts the bridge after WatchdogSec.",
                metadata: [
                    "watchdog.stalled": "\(threads.map(\.rawValue).joined(separator: ","))",
                    "watchdog.stale_after": "\(gate.staleAfter)",
                ]
            )
        case .resumed:
            logger.notice("Watchdog pings resumed: both thread loops make progress.")
        case nil:
            break
        }
    }

    private func status(phase: ServiceStatus.Phase) -> ServiceStatus {
        ServiceStatus(
            phase: phase,
            mqttConnected: counters.mqttHeartbeat.flag,
            bufferedPoints: buffer.occupancy.points,
            backingOff: counters.writerHeartbeat.flag,
            breakerOpen: counters.breakerState.load(ordering: .relaxed) != 0
        )
    }

    private func send(_ fields: [String]) {
        guard let failure = notifier.send(fields), !sendFailed.exchange(true, ordering: .relaxed) else { return }
        logger.warning("Cannot notify systemd; it may stop the bridge.", metadata: ["error": "\(failure)"])
    }
}
