// iotflow-bridge: the devices heard from, when last and how often; bounded.
// SPDX-License-Identifier: Apache-2.0

/// Every device the bridge has heard from: when last (wall-clock nanoseconds since the epoch) and
/// how many messages, for `/devices?stale=` and the `devices_seen` / `devices_stale` gauges.
///
/// Bounded: at most `capacity` devices (`mapping.max_devices`). Once full, a new device is not
/// added and its messages are counted in `untrackedMessages`; devices already in the table are
/// never evicted, so a flood of made-up ids cannot push a real device out of the listing.
///
/// A hot-path value: `record(deviceBytes:at:)` for a device already in the table hashes the id's
/// bytes and compares them with the stored id, allocating nothing. Entries are found by the
/// 64-bit hash of the id; two different ids with the same hash (practically never) go to a
/// dictionary keyed by the id itself, so the table is exact either way.
public struct DeviceTable: Sendable {
    /// One device.
    public struct Entry: Equatable, Sendable {
        /// The device id, as the topic spelt it.
        public var deviceID: String
        /// When its last message arrived, nanoseconds since the epoch.
        public var lastSeen: Int64
        /// Its messages since the bridge started.
        public var messages: Int

        /// An entry.
        public init(deviceID: String, lastSeen: Int64, messages: Int) {
            self.deviceID = deviceID
            self.lastSeen = lastSeen
            self.messages = messages
        }
    }

    /// The most devices kept.
    public let capacity: Int
    /// Messages from devices the full table had no room for.
    public private(set) var untrackedMessages = 0
    private var entries: [Entry] = []
    /// The hash of an id's bytes → its index in `entries` (the first id with that hash).
    private var byHash: [Int: Int] = [:]
    /// Ids whose hash an earlier id already took → their index in `entries`.
    private var collided: [String: Int] = [:]

    /// An empty table for at most `capacity` devices.
    public init(capacity: Int) {
        precondition(capacity >= 0, "a device table holds zero or more devices")
        self.capacity = capacity
    }

    /// The devices in the table.
    public var count: Int { entries.count }

    /// Records a message from `device` at `time` (nanoseconds since the epoch).
    public mutating func record(device: String, at time: Int64) {
        var id = device
        id.withUTF8 { record(deviceBytes: UnsafeRawBufferPointer($0), at: time) }
    }

    /// Records a message from the device whose id is `bytes` (UTF-8) at `time`; allocates only
    /// for a device not yet in the table.
    public mutating func record(deviceBytes bytes: UnsafeRawBufferPointer, at time: Int64) {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        let hash = hasher.finalize()
        if let index = byHash[hash] {
            if Self.spells(entries[index].deviceID, bytes) {
                touch(index, at: time)
                return
            }
            let id = String(decoding: bytes, as: UTF8.self)
            if let other = collided[id] {
                touch(other, at: time)
            } else if let index = add(id, at: time) {
                collided[id] = index
            }
            return
        }
        if let index = add(String(decoding: bytes, as: UTF8.self), at: time) { byHash[hash] = index }
    }

    /// Whether `id` is exactly `bytes`: a walk over two contiguous buffers for a native string
    /// (ids from topics always are), over the string's UTF-8 view otherwise.
    @inline(__always)
    private static func spells(_ id: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let utf8 = id.utf8
        guard utf8.count == bytes.count else { return false }
        return utf8.withContiguousStorageIfAvailable { stored in
            UnsafeRawBufferPointer(stored).elementsEqual(bytes)
        } ?? utf8.elementsEqual(bytes)
    }

    private mutating func touch(_ index: Int, at time: Int64) {
        entries[index].lastSeen = max(entries[index].lastSeen, time)
        entries[index].messages += 1
    }

    /// Adds a device and returns its index, or counts the message as untracked when full.
    private mutating func add(_ id: String, at time: Int64) -> Int? {
        guard entries.count < capacity else {
            untrackedMessages += 1
            return nil
        }
        entries.append(Entry(deviceID: id, lastSeen: time, messages: 1))
        return entries.count - 1
    }

    /// The entry for `device`, if it is in the table.
    public func entry(for device: String) -> Entry? {
        if let index = collided[device] { return entries[index] }
        var hasher = Hasher()
        var id = device
        id.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        guard let index = byHash[hasher.finalize()], entries[index].deviceID == device else { return nil }
        return entries[index]
    }

    /// The devices silent for longer than `silence` at `now` (nanoseconds since the epoch),
    /// longest silent first (then by id, so the order is stable).
    public func stale(silentFor silence: Duration, now: Int64) -> [Entry] {
        let cutoff = now - Self.nanoseconds(silence)
        return entries.filter { $0.lastSeen < cutoff }.sorted {
            $0.lastSeen != $1.lastSeen ? $0.lastSeen < $1.lastSeen : $0.deviceID < $1.deviceID
        }
    }

    /// How many devices are silent for longer than `silence` at `now`, without listing them.
    public func staleCount(silentFor silence: Duration, now: Int64) -> Int {
        let cutoff = now - Self.nanoseconds(silence)
        return entries.count { $0.lastSeen < cutoff }
    }

    /// `duration` in whole nanoseconds, saturating.
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        return whole.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
