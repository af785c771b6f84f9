// iotflow-bridge: the lock both halves of a point buffer share, and the waits under it.
// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The part of a point buffer's state both threads touch, kept under the core's lock.
protocol PointBufferState: Sendable {
    /// Points and bytes held (committed, and not yet removed).
    var occupancy: (points: Int, bytes: Int) { get }
    /// The line-protocol timestamp of the oldest point held, when it is in memory.
    var oldestTimestamp: Int64? { get }
}

extension PointBufferState {
    /// None known (test states).
    var oldestTimestamp: Int64? { nil }
}

/// The synchronised core of a point buffer: its shared `State` behind one lock, the writer's
/// wait for points and the intake's wait for room. Also the buffer's `PointBufferHandle`.
///
/// Critical sections copy bytes and update counts; no I/O happens under the lock. A change
/// wakes the writer only once the count it waits for is reached, so the MQTT thread does not
/// wake it once per message.
// `@unchecked Sendable`: lock-protected. `condition` guards all of the mutable state (`state`,
// `wantedPoints`, `roomWaiters`, `waitsInterrupted`, `appendsInterrupted`); the rest is `let`.
final class PointBufferCore<State: PointBufferState>: PointBufferHandle, @unchecked Sendable {
    let capacityBytes: Int
    let isDurable: Bool
    private let condition = NSCondition()
    private var state: State
    private var wantedPoints = Int.max
    private var roomWaiters = 0
    private var waitsInterrupted = false
    private var appendsInterrupted = false

    init(_ state: State, capacityBytes: Int, isDurable: Bool) {
        self.state = state
        self.capacityBytes = capacityBytes
        self.isDurable = isDurable
    }

    var occupancy: (points: Int, bytes: Int) { read(\.occupancy) }

    var oldestPointTimestamp: Int64? { read(\.oldestTimestamp) }

    /// What `body` reads of the state, with the lock held.
    func read<Result>(_ body: (State) -> Result) -> Result {
        condition.lock()
        defer { condition.unlock() }
        return body(state)
    }

    /// Changes the state with the lock held, then wakes whoever the change may concern.
    func update<Result, Failure: Error>(_ body: (inout State) throws(Failure) -> Result) throws(Failure) -> Result {
        condition.lock()
        defer {
            wakeWaiters()
            condition.unlock()
        }
        return try body(&state)
    }

    /// Waits until `hasRoom` (read with the lock held) says yes, `timeout` passes or
    /// `interruptAppends()` was called, and returns whether it said yes.
    func waitForRoom(upTo timeout: Duration, _ hasRoom: (State) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        while !hasRoom(state) {
            guard !appendsInterrupted else { return false }
            roomWaiters += 1
            let woken = condition.wait(until: deadline)
            roomWaiters -= 1
            guard woken else { return false }
        }
        return true
    }

    /// Waits until at least `points` points are held, `deadline` passes or `interruptWaits()`
    /// was called, and returns the points held.
    func waitForPoints(atLeast points: Int, until deadline: ContinuousClock.Instant) -> Int {
        condition.lock()
        defer {
            wantedPoints = .max
            condition.unlock()
        }
        wantedPoints = points
        while state.occupancy.points < points && !waitsInterrupted {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { break }
            _ = condition.wait(until: Date().addingTimeInterval(remaining.seconds))
        }
        return state.occupancy.points
    }

    func interruptAppends() {
        condition.lock()
        appendsInterrupted = true
        condition.broadcast()
        condition.unlock()
    }

    func interruptWaits() {
        condition.lock()
        waitsInterrupted = true
        condition.broadcast()
        condition.unlock()
    }

    /// With the lock held: wakes the writer if the points it waits for are held, and every
    /// append waiting for room (the change may have made some).
    private func wakeWaiters() {
        if state.occupancy.points >= wantedPoints || roomWaiters > 0 { condition.broadcast() }
    }
}
