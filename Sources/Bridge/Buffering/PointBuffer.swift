// iotflow-bridge: where encoded points wait between intake and the writer.
// SPDX-License-Identifier: Apache-2.0

/// The buffer between the MQTT thread (which appends) and the writer thread (which reads
/// batches from the front and removes them once InfluxDB has answered).
///
/// Implementations are safe from any thread. The memory implementation is `MemoryPointBuffer`;
/// a disk-backed one can replace it behind this protocol.
public protocol PointBuffer: AnyObject, Sendable {
    /// The most bytes held.
    var capacityBytes: Int { get }

    /// Points and bytes held now.
    var occupancy: (points: Int, bytes: Int) { get }

    /// Whether `bytes` more bytes fit now (intake stops reading from the broker when not).
    func hasRoom(forBytes bytes: Int) -> Bool

    /// Appends complete lines (`lineLengths` gives each one's length), all or none. Waits up to
    /// `timeout` for room; returns false if there still was none or `interruptAppends()` was called.
    func append(
        lines: UnsafeBufferPointer<UInt8>,
        lineLengths: UnsafeBufferPointer<UInt32>,
        waitingUpTo timeout: Duration
    ) -> Bool

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
