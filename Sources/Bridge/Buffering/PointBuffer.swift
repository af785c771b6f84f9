// iotflow-bridge: where encoded points wait between intake and the writer.
// SPDX-License-Identifier: Apache-2.0

/// The buffer between the MQTT thread (which appends) and the writer thread (which reads
/// batches from the front and removes them once InfluxDB has answered).
///
/// Two implementations: `MemoryPointBuffer`, and `DurablePointBuffer`, which keeps every point
/// in segment files until InfluxDB has taken it. `append` and `commit` are called by one thread
/// (the MQTT thread); the rest is safe from any thread.
public protocol PointBuffer: AnyObject, Sendable {
    /// The most bytes held (on disk, for the durable buffer).
    var capacityBytes: Int { get }

    /// Whether what is held survives a restart of the bridge.
    var isDurable: Bool { get }

    /// Points and bytes held now.
    var occupancy: (points: Int, bytes: Int) { get }

    /// Whether `bytes` more bytes fit now (intake stops reading from the broker when not).
    func hasRoom(forBytes bytes: Int) -> Bool

    /// Drops the oldest points that are not in the batch being sent until `bytes` more bytes fit
    /// (`buffer.overflow: drop_oldest`) or nothing more can be dropped, and returns what was
    /// dropped. Called by the MQTT thread when `hasRoom` says no.
    func dropOldest(freeing bytes: Int) -> (points: Int, bytes: Int)

    /// Appends complete lines (`lineLengths` gives each one's length), all or none. Waits up to
    /// `timeout` for room; returns false if there still was none or `interruptAppends()` was called.
    func append(
        lines: UnsafeBufferPointer<UInt8>,
        lineLengths: UnsafeBufferPointer<UInt32>,
        waitingUpTo timeout: Duration
    ) -> Bool

    /// Makes every append since the last commit safe (written to the segment file, and synced
    /// as `buffer.fsync` says) and visible to the writer. The MQTT thread commits before it
    /// sends the PUBACKs of what it appended. On failure the appends stay pending, unseen by the
    /// writer, and the next commit tries them again. Also runs a due `fsync: interval` sync.
    func commit() throws(BufferError)

    /// Waits until at least `points` points are held or `deadline` passes, and returns how many
    /// are held. `interruptWaits()` ends the wait early.
    func waitForPoints(atLeast points: Int, until deadline: ContinuousClock.Instant) -> Int

    /// Ends, now and from now on, every wait for room in `append` (intake is stopping).
    func interruptAppends()

    /// Ends, now and from now on, every wait in `waitForPoints` (the writer is draining).
    func interruptWaits()

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
