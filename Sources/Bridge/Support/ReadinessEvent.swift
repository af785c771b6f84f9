// iotflow-bridge: a one-time event ("subscribed") that async code can await.
// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// Happens at most once; `wait()` returns immediately afterwards. Safe from any thread, so the
/// MQTT thread can fire it from a libmosquitto callback.
public final class ReadinessEvent: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// An event that has not happened.
    public init() {}

    /// Marks the event as happened and wakes every waiter; later calls do nothing.
    public func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether the event has happened, without waiting.
    public var hasFired: Bool { state.withLock { $0.fired } }

    /// Returns once the event has happened.
    public func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLock { state in
                if !state.fired { state.waiters.append(continuation) }
                return state.fired
            }
            if fired { continuation.resume() }
        }
    }
}
