// iotflow-bridge: a one-shot hand-off of a value that is not Sendable to the thread that will own it.
// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// Holds a value until one thread takes it, and then never again.
///
/// What is put in is `sending` and what comes out is `sending`, so the compiler proves that no
/// one else keeps a reference: the taker owns the value alone. This is how a buffer half reaches
/// its thread through a `Sendable` service.
public final class HandOff<Value>: Sendable {
    private let slot: Mutex<Value?>

    /// A hand-off holding `value`.
    public init(_ value: consuming sending Value) {
        slot = Mutex(value)
    }

    /// The value, the first time; nil after that.
    public func take() -> sending Value? {
        slot.withLock { value -> sending Value? in value.take() }
    }
}
