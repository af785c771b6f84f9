// iotflow-bridge: the writer's wait for a batch, shared by both point buffers.
// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The lock of a point buffer and the writer's wait for points under it.
///
/// The buffer guards its own state with `condition`, calls `pointsArrived(held:)` after an append
/// (with `condition` locked), and forwards `waitForPoints` and `interruptWaits` here. Appends wake
/// the writer only once the count it waits for is reached, so the MQTT thread does not wake it
/// once per message.
// `wantedPoints` and `interrupted` are read and written only while `condition` is locked.
final class PointWaiter: @unchecked Sendable {
    let condition = NSCondition()
    private var wantedPoints = Int.max
    private var interrupted = false

    /// With `condition` locked: wakes the writer if `held` points are what it waits for.
    func pointsArrived(held: Int) {
        if held >= wantedPoints { condition.broadcast() }
    }

    /// Waits until `held()` (read with `condition` locked) is at least `points`, `deadline` passes
    /// or `interrupt()` was called, and returns `held()`.
    func wait(atLeast points: Int, until deadline: ContinuousClock.Instant, held: () -> Int) -> Int {
        condition.lock()
        defer {
            wantedPoints = .max
            condition.unlock()
        }
        wantedPoints = points
        while held() < points && !interrupted {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { break }
            _ = condition.wait(until: Date().addingTimeInterval(remaining.seconds))
        }
        return held()
    }

    /// Ends, now and from now on, every wait.
    func interrupt() {
        condition.lock()
        interrupted = true
        condition.broadcast()
        condition.unlock()
    }
}
