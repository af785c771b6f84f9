// iotflow-bridge: the device table, shared between the MQTT thread and the HTTP endpoint.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Glibc
import Synchronization

/// `DeviceTable` behind a lock: the MQTT thread records each mapped message's device, the
/// endpoint lists and counts. The hot-path cost is one uncontended lock and one hash lookup per
/// message, with no allocation for a device already known. Safe from any thread.
final class DeviceTracker: Sendable {
    private let table: Mutex<DeviceTable>

    /// A tracker for at most `capacity` devices (`mapping.max_devices`).
    init(capacity: Int) {
        table = Mutex(DeviceTable(capacity: capacity))
    }

    /// Records a message from the device whose id is `bytes`, at `time` (ns since the epoch).
    @inline(__always)
    func record(deviceBytes bytes: UnsafeRawBufferPointer, at time: Int64) {
        table.withLock { $0.record(deviceBytes: bytes, at: time) }
    }

    /// Devices tracked, messages from devices beyond the table, and how many are silent for
    /// longer than `silence` at `now`.
    func counts(silentFor silence: Duration, now: Int64) -> (seen: Int, untracked: Int, stale: Int) {
        table.withLock { ($0.count, $0.untrackedMessages, $0.staleCount(silentFor: silence, now: now)) }
    }

    /// The listing of the devices silent for longer than `silence` at `now`.
    func listing(silentFor silence: Duration, now: Int64) -> DeviceListing {
        let (stale, tracked, untracked) = table.withLock {
            ($0.stale(silentFor: silence, now: now), $0.count, $0.untrackedMessages)
        }
        let entries = stale.map { entry in
            DeviceEntry(
                deviceID: entry.deviceID,
                lastSeen: RFC3339.milliseconds(entry.lastSeen),
                silentSeconds: Double(now - entry.lastSeen) / 1e9,
                messages: entry.messages
            )
        }
        return DeviceListing(
            staleAfterSeconds: silence / .seconds(1),
            devices: entries,
            tracked: tracked,
            untrackedMessages: untracked
        )
    }
}

/// RFC 3339 in UTC with milliseconds, from nanoseconds since the epoch.
enum RFC3339 {
    static func milliseconds(_ nanoseconds: Int64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        let millis = Int((nanoseconds % 1_000_000_000) / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let milli = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(milli)Z"
    }
}
