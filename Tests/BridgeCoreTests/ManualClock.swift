// iotflow-bridge: a manual clock for the state machines' tests: an instant moved by hand.
// SPDX-License-Identifier: Apache-2.0

/// A manual clock: an instant that tests move by hand.
struct ManualClock {
    var now = ContinuousClock.Instant.now

    mutating func advance(_ duration: Duration) { now += duration }
}
