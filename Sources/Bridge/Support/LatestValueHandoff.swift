// iotflow-bridge: hands the latest value from any thread to the MQTT thread without a per-message lock.
// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// The latest value published, taken by the MQTT thread once per read pass.
///
/// `publish` (any thread) stores the value and its generation under a lock, and then, still
/// under it, the generation in an atomic. The MQTT thread compares that atomic with the
/// generation it last took, once per read pass: an acquiring load, no lock, in the common case.
/// Only when it changed does it take the lock, and it takes the value together with the value's
/// own generation, so each publication is taken at most once and in order, even while another
/// is under way. Messages are mapped with the old value until the pass after the publication,
/// and none is dropped or held up.
final class LatestValueHandoff<Value: Sendable>: Sendable {
    private let latest: Mutex<(generation: Int, value: Value)>
    private let generation = Atomic<Int>(0)

    /// A handoff holding `initial`, as generation 0.
    init(_ initial: Value) {
        latest = Mutex((0, initial))
    }

    /// Replaces the value; the MQTT thread takes it on its next pass.
    func publish(_ value: Value) {
        latest.withLock { state in
            state = (state.generation &+ 1, value)
            // Under the lock, so publishers on two threads bump the atomic in their order.
            generation.store(state.generation, ordering: .releasing)
        }
    }

    /// The value, when it changed since `seen` (which is updated); nil otherwise.
    func take(ifNewerThan seen: inout Int) -> Value? {
        guard generation.load(ordering: .acquiring) != seen else { return nil }
        let (taken, value) = latest.withLock { $0 }
        seen = taken
        return value
    }

    /// The latest value published (or the initial one).
    var current: Value { latest.withLock { $0.value } }
}
