// iotflow-bridge: hands the latest value from any thread to the MQTT thread without a per-message lock.
// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// The latest value published, taken by the MQTT thread once per read pass.
///
/// `publish` (any thread) stores the value under a lock and then bumps `generation`. The MQTT
/// thread compares `generation` with the one it last took, once per read pass: an acquiring
/// atomic load, no lock, in the common case. Only when it changed does it take the lock to fetch
/// the value, so messages are mapped with the old value until the pass after the publication,
/// and none is dropped or held up. The acquire/release pair orders the store before the bump.
final class LatestValueHandoff<Value: Sendable>: Sendable {
    private let latest: Mutex<Value>
    private let generation = Atomic<Int>(0)

    /// A handoff holding `initial`, as generation 0.
    init(_ initial: Value) {
        latest = Mutex(initial)
    }

    /// Replaces the value; the MQTT thread takes it on its next pass.
    func publish(_ value: Value) {
        latest.withLock { $0 = value }
        generation.wrappingAdd(1, ordering: .releasing)
    }

    /// The value, when it changed since `seen` (which is updated); nil otherwise.
    func take(ifNewerThan seen: inout Int) -> Value? {
        let current = generation.load(ordering: .acquiring)
        guard current != seen else { return nil }
        seen = current
        return latest.withLock { $0 }
    }

    /// The latest value published (or the initial one).
    var current: Value { latest.withLock { $0 } }
}
