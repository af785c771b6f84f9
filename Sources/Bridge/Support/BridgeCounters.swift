// iotflow-bridge: the counters every part of the bridge bumps and the summary reads.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Synchronization

/// Monotonic counters, named as in telegraf with *points* for *metrics*.
///
/// Safe from any thread: each counter is an atomic, bumped with relaxed ordering because only
/// the totals matter (no other memory is published through them).
public final class BridgeCounters: Sendable {
    /// MQTT messages handed to the bridge (`messages_received`).
    let messagesReceived = Atomic<Int>(0)
    /// Points mapped from them and buffered (`points_received`).
    let pointsReceived = Atomic<Int>(0)
    /// JSON values that could not be a field and were left out (`fields_skipped`).
    let fieldsSkipped = Atomic<Int>(0)
    /// Non-numeric strings left out because no declaration or schema types their field a string
    /// (`strings_left_out`, under `mapping.string_policy: declared`).
    let stringsLeftOut = Atomic<Int>(0)
    /// Points whose device time was out of range and replaced by the intake time (`timestamps_replaced`).
    let timestampsReplaced = Atomic<Int>(0)
    /// Points InfluxDB accepted (`points_written`).
    let pointsWritten = Atomic<Int>(0)
    /// Points InfluxDB refused for good, each in the dead-letter file (`points_rejected`).
    let pointsRejected = Atomic<Int>(0)
    /// Points discarded because shutdown came before InfluxDB accepted them (memory buffer), or
    /// for room under `buffer.overflow: drop_oldest` (`points_dropped`).
    let pointsDropped = Atomic<Int>(0)
    /// Write attempts that failed and will be retried (`write_errors`).
    let writeErrors = Atomic<Int>(0)
    /// Write requests sent, retries and the halves of split batches included (`requests`).
    let requests = Atomic<Int>(0)
    /// Times the circuit breaker opened (`breaker_opened`).
    let breakerOpened = Atomic<Int>(0)
    /// The breaker now: 0 closed, 1 open or probing (`breaker_state`, a gauge).
    let breakerState = Atomic<Int>(0)
    /// The MQTT loop's heartbeat (flag: connected), for the systemd watchdog.
    let mqttHeartbeat = ThreadHeartbeat()
    /// The writer loop's heartbeat (flag: backing off), for the systemd watchdog.
    let writerHeartbeat = ThreadHeartbeat()
    /// Retained messages not stored under `mqtt.retained` (`retained_skipped`).
    let retainedSkipped = Atomic<Int>(0)
    /// Refused-message records that could not be written to their file (`refused_unrecorded`).
    let refusedUnrecorded = Atomic<Int>(0)
    private let refusals = Mutex([Int](repeating: 0, count: RefusalReason.allCases.count))
    /// The states counters cannot say (connections, last requests, the last ping), for `/health`.
    public let status = BridgeStatus()
    /// The devices heard from (`mapping.max_devices`), recorded once per mapped message.
    let devices: DeviceTracker
    /// The Prometheus registry `/metrics` shows, and the request-duration timer.
    public let metrics = BridgeMetrics()

    /// Zeroed counters, with a device table for at most `maxDevices` devices.
    public init(maxDevices: Int = MappingConfiguration().maxDevices) {
        devices = DeviceTracker(capacity: maxDevices)
    }

    /// Counts the parts of one message the mapping refused (the message itself when it was
    /// refused whole), under one lock: refusals are rare next to messages.
    func countRefusals(_ parts: some Collection<MappingRefusal>) {
        refusals.withLock { counts in
            for part in parts { counts[part.reason.rawValue] += 1 }
        }
    }

    /// Messages, array elements and values refused so far, per reason.
    var messagesRefused: [RefusalReason: Int] {
        refusals.withLock { counts in
            Dictionary(uniqueKeysWithValues: RefusalReason.allCases.map { ($0, counts[$0.rawValue]) })
        }
    }

    /// Adds `amount` to `counter`.
    @inline(__always)
    static func add(_ amount: Int, to counter: borrowing Atomic<Int>) {
        counter.wrappingAdd(amount, ordering: .relaxed)
    }

    /// The counters' values at one moment; each field is the counter of the same name.
    public struct Snapshot: Equatable, Sendable {
        public var messagesReceived: Int
        public var pointsReceived: Int
        public var fieldsSkipped: Int
        public var stringsLeftOut: Int
        public var timestampsReplaced: Int
        public var pointsWritten: Int
        public var pointsRejected: Int
        public var pointsDropped: Int
        public var writeErrors: Int
        public var requests: Int
        public var breakerOpened: Int
        public var breakerState: Int
        public var retainedSkipped: Int
        public var refusedUnrecorded: Int
        public var messagesRefused: [RefusalReason: Int]
    }

    /// Reads every counter.
    public func snapshot() -> Snapshot {
        Snapshot(
            messagesReceived: messagesReceived.load(ordering: .relaxed),
            pointsReceived: pointsReceived.load(ordering: .relaxed),
            fieldsSkipped: fieldsSkipped.load(ordering: .relaxed),
            stringsLeftOut: stringsLeftOut.load(ordering: .relaxed),
            timestampsReplaced: timestampsReplaced.load(ordering: .relaxed),
            pointsWritten: pointsWritten.load(ordering: .relaxed),
            pointsRejected: pointsRejected.load(ordering: .relaxed),
            pointsDropped: pointsDropped.load(ordering: .relaxed),
            writeErrors: writeErrors.load(ordering: .relaxed),
            requests: requests.load(ordering: .relaxed),
            breakerOpened: breakerOpened.load(ordering: .relaxed),
            breakerState: breakerState.load(ordering: .relaxed),
            retainedSkipped: retainedSkipped.load(ordering: .relaxed),
            refusedUnrecorded: refusedUnrecorded.load(ordering: .relaxed),
            messagesRefused: messagesRefused
        )
    }
}
