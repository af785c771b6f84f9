// iotflow-bridge: where encoded points wait between intake and the writer.
// SPDX-License-Identifier: Apache-2.0

/// The buffer between the MQTT thread, which appends, and the writer thread, which reads
/// batches from the front and removes them once InfluxDB has answered.
///
/// It comes in two halves over one lock-protected core: the intake half belongs to the MQTT
/// thread, the outlet half to the writer thread, and each is taken once from its `HandOff` by
/// the thread that owns it. Neither half is `Sendable`. `handle` is what any thread may use.
/// Two kinds: `PointBuffer.memory(capacityBytes:)`, and `PointBuffer.durable(configuration:logger:)`,
/// which keeps every point in segment files until InfluxDB has taken it.
public struct PointBuffer: Sendable {
    /// Occupancy, capacity and the interrupts a stop needs, from any thread.
    public let handle: any PointBufferHandle
    /// The MQTT thread's half.
    public let intake: HandOff<any PointBufferIntake>
    /// The writer thread's half.
    public let outlet: HandOff<any PointBufferOutlet>
    /// What start-up found in the state directory; nil for the memory buffer.
    public let recovery: DurablePointBuffer.Recovery?
}

/// What any thread may do with a point buffer.
public protocol PointBufferHandle: AnyObject, Sendable {
    /// The most bytes held (on disk, for the durable buffer).
    var capacityBytes: Int { get }

    /// Whether what is held survives a restart of the bridge.
    var isDurable: Bool { get }

    /// Points and bytes held now (committed, and not yet removed).
    var occupancy: (points: Int, bytes: Int) { get }

    /// The timestamp (nanoseconds since the epoch, from its line) of the oldest point held, read
    /// under the core's lock from the front of the in-memory ring, with no file I/O; nil when the
    /// buffer is empty, and for the durable buffer also while its front is only on disk (spilled
    /// and not yet loaded by the writer, which loads it before its next batch).
    var oldestPointTimestamp: Int64? { get }

    /// Ends, now and from now on, every wait for room in `append` (intake is stopping).
    func interruptAppends()

    /// Ends, now and from now on, every wait in `waitForPoints` (the writer is draining).
    func interruptWaits()
}

/// The MQTT thread's half of a point buffer: it stages messages, commits them, asks for room
/// and drops the oldest points. Owned by that thread alone.
public protocol PointBufferIntake: AnyObject {
    /// Points and bytes held now (committed, and not yet removed).
    var occupancy: (points: Int, bytes: Int) { get }

    /// Whether `bytes` more bytes fit now, besides what is staged (intake stops reading from
    /// the broker when not).
    func hasRoom(forBytes bytes: Int) -> Bool

    /// Drops the oldest points that are not in the batch being sent until `bytes` more bytes fit
    /// (`buffer.overflow: drop_oldest`) or nothing more can be dropped, and returns what was
    /// dropped. Called when `hasRoom` says no.
    func dropOldest(freeing bytes: Int) -> (points: Int, bytes: Int)

    /// Stages complete lines (`lineLengths` gives each one's length) for the next commit, all or
    /// none. The memory buffer waits up to `timeout` for room, and returns false if there still
    /// was none or `interruptAppends()` was called; the durable buffer never waits (intake asks
    /// `hasRoom` before it reads, so its budget is exceeded by at most one message).
    func append(
        lines: UnsafeBufferPointer<UInt8>,
        lineLengths: UnsafeBufferPointer<UInt32>,
        waitingUpTo timeout: Duration
    ) -> Bool

    /// Makes every append since the last commit visible to the writer: the durable buffer first
    /// writes them to the segment file and syncs as `buffer.fsync` says (and also runs a due
    /// `fsync: interval` sync). The MQTT thread commits before it sends the PUBACKs of what it
    /// appended. On failure the appends stay staged, unseen by the writer, and the next commit
    /// tries them again.
    func commit() throws(BridgeError)
}

/// The writer thread's half of a point buffer: it waits for points, peeks a batch and removes
/// it once InfluxDB has settled it. Owned by that thread alone.
public protocol PointBufferOutlet: AnyObject {
    /// Points and bytes held now (committed, and not yet removed).
    var occupancy: (points: Int, bytes: Int) { get }

    /// Whether what is held survives a restart of the bridge.
    var isDurable: Bool { get }

    /// Waits until at least `points` points are held or `deadline` passes, and returns how many
    /// are held. `interruptWaits()` ends the wait early.
    func waitForPoints(atLeast points: Int, until deadline: ContinuousClock.Instant) -> Int

    /// Copies the next batch (at most `maxPoints` points and `maxBytes` bytes, at least one
    /// point if any is held) to the end of `body`, and each point's length to `lineLengths`,
    /// leaving it in the buffer.
    func peekBatch(
        maxPoints: Int,
        maxBytes: Int,
        into body: inout [UInt8],
        lineLengths: inout [Int]
    )
        -> (points: Int, bytes: Int)

    /// Removes the batch `peekBatch` returned, once InfluxDB accepted or rejected it.
    func removeBatch(points: Int, bytes: Int)
}
