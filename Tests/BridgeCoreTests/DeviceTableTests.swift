// iotflow-bridge: the device table: recorded, bounded, and the silent ones listed.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct DeviceTableTests {
    private let second: Int64 = 1_000_000_000
    private let t0: Int64 = 1_735_732_800_000_000_000

    @Test func recordsLastSeenAndMessagesPerDevice() {
        var table = DeviceTable(capacity: 10)
        table.record(device: "dev-1", at: t0)
        table.record(device: "dev-2", at: t0 + second)
        table.record(device: "dev-1", at: t0 + 2 * second)
        #expect(table.count == 2)
        #expect(table.entry(for: "dev-1") == .init(deviceID: "dev-1", lastSeen: t0 + 2 * second, messages: 2))
        #expect(table.entry(for: "dev-2")?.messages == 1)
        #expect(table.entry(for: "dev-3") == nil)
        // A message stamped earlier than the last one (the wall clock stepped back) does not move it back.
        table.record(device: "dev-1", at: t0)
        #expect(table.entry(for: "dev-1")?.lastSeen == t0 + 2 * second)
    }

    @Test func recordsFromBytesTheSameDeviceAsFromAString() {
        var table = DeviceTable(capacity: 10)
        let longID = String(repeating: "sensor-in-the-boiler-room-", count: 4)
        table.record(device: longID, at: t0)
        Array(longID.utf8).withUnsafeBytes { table.record(deviceBytes: $0, at: t0 + second) }
        #expect(table.count == 1)
        #expect(table.entry(for: longID)?.messages == 2)
    }

    @Test func onceFullNewDevicesAreCountedAsUntrackedAndKnownOnesStillRecorded() {
        var table = DeviceTable(capacity: 2)
        table.record(device: "a", at: t0)
        table.record(device: "b", at: t0)
        table.record(device: "c", at: t0)
        table.record(device: "c", at: t0)
        table.record(device: "a", at: t0 + second)
        #expect(table.count == 2)
        #expect(table.untrackedMessages == 2)
        #expect(table.entry(for: "c") == nil)
        #expect(table.entry(for: "a")?.messages == 2)
        var off = DeviceTable(capacity: 0)
        off.record(device: "a", at: t0)
        #expect(off.count == 0 && off.untrackedMessages == 1)
    }

    @Test func listsExactlyTheSilentDevicesLongestSilentFirst() {
        var table = DeviceTable(capacity: 10)
        table.record(device: "quiet-long", at: t0)
        table.record(device: "quiet-b", at: t0 + 10 * second)
        table.record(device: "quiet-a", at: t0 + 10 * second)
        table.record(device: "talking", at: t0 + 55 * second)
        let now = t0 + 60 * second
        let stale = table.stale(silentFor: .seconds(30), now: now)
        #expect(stale.map(\.deviceID) == ["quiet-long", "quiet-a", "quiet-b"])
        #expect(table.staleCount(silentFor: .seconds(30), now: now) == 3)
        // Exactly at the threshold a device is not yet stale.
        #expect(table.stale(silentFor: .seconds(50), now: now).map(\.deviceID) == ["quiet-long"])
        #expect(table.stale(silentFor: .seconds(61), now: now).isEmpty)
        #expect(table.stale(silentFor: .zero, now: now).count == 4)
    }
}
