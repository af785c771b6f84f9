// iotflow-bridge: the subscriber that counts what the broker delivers.
// SPDX-License-Identifier: Apache-2.0

import Glibc
import Mosquitto

/// Subscribes to one filter and counts arriving messages, timing the first to the last.
///
/// Confined to the calling thread, which drives the connection's loop inside `run`.
struct DeliveryCounter {
    /// What a run counted.
    struct Outcome {
        var received: Int
        /// From the first message to the last; zero with fewer than two messages.
        var elapsed: Duration
    }

    /// What the callbacks saw; a class because the callbacks and the loop share it.
    private final class Tally {
        var grantedQoS: [CInt]?
        var received = 0
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?

        func record() {
            let now = ContinuousClock.now
            if first == nil { first = now }
            last = now
            received += 1
        }
    }

    let filter: String
    /// Messages to wait for; 0 returns once subscribed.
    let expected: Int
    /// False keeps the broker session (and what it queues) after the run.
    let cleanSession: Bool

    /// Counts until `expected` messages arrive or `deadline` passes; `onReady` runs once the SUBACK is in.
    func run(
        options: ConnectionOptions,
        until deadline: ContinuousClock.Instant,
        onReady: () -> Void
    ) throws(SimulatorError) -> Outcome {
        let tally = Tally()
        var callbacks = MosquittoCallbacks()
        callbacks.onSubscribe = { _, granted in tally.grantedQoS = granted }
        callbacks.onMessage = { _ in tally.record() }
        let connection = try BrokerConnection(options: options, cleanSession: cleanSession, callbacks: callbacks)
        try connection.open(until: deadline)
        defer { connection.close() }

        do {
            try connection.client.subscribe(filter, qos: options.qos)
        } catch {
            throw SimulatorError("cannot subscribe to \(filter): \(error)")
        }
        while tally.grantedQoS == nil {
            guard ContinuousClock.now < deadline else {
                throw SimulatorError("no SUBACK for \(filter) before the timeout")
            }
            try connection.pump(timeoutMilliseconds: 100)
        }
        // 128 (0x80) in a SUBACK is the broker's refusal, for example by its ACL.
        if tally.grantedQoS?.contains(128) ?? false {
            throw SimulatorError("the broker refused the subscription to \(filter)")
        }
        onReady()

        while tally.received < expected, ContinuousClock.now < deadline {
            try connection.pump(timeoutMilliseconds: 100)
        }
        let elapsed = tally.first.flatMap { first in tally.last.map { first.duration(to: $0) } } ?? .zero
        return Outcome(received: tally.received, elapsed: elapsed)
    }
}
