// iotflow-bridge: the in-memory point buffer.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation

/// A `PointBuffer` in memory: a `PointRing` behind one lock, with a condition variable so the
/// writer can sleep until a batch is ready and a blocked append can wait for room.
///
/// The critical sections copy bytes and nothing else; no I/O happens under the lock.
// All mutable state (`ring`, `peeked`, `droppedFromBatch`, `appendsInterrupted`) is read and written
// only while `condition` is locked, which is what makes the class safe to share.
public final class MemoryPointBuffer: PointBuffer, @unchecked Sendable {
    private let waiter = PointWaiter()
    private var condition: NSCondition { waiter.condition }
    private var ring: PointRing
    /// The batch `peekBatch` returned, at the front of the ring until `removeBatch`.
    private var peeked = (points: 0, bytes: 0)
    /// What `dropOldest` removed of that batch: the writer holds its own copy and still sends
    /// it, so it is not counted as dropped, and `removeBatch` removes only the rest.
    private var droppedFromBatch = (points: 0, bytes: 0)
    private var appendsInterrupted = false

    /// A buffer holding at most `capacityBytes` bytes of encoded points.
    public init(capacityBytes: Int) {
        ring = PointRing(capacityBytes: capacityBytes)
    }

    public var capacityBytes: Int { ring.capacityBytes }

    public var isDurable: Bool { false }

    /// Appends are visible at once; there is nothing to make safe.
    public func commit() {}

    public var occupancy: (points: Int, bytes: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (ring.pointCount, ring.byteCount)
    }

    public func hasRoom(forBytes bytes: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return ring.freeBytes >= bytes
    }

    public func dropOldest(freeing bytes: Int) -> (points: Int, bytes: Int) {
        condition.lock()
        defer { condition.unlock() }
        var dropped = (points: 0, bytes: 0)
        while ring.freeBytes < bytes && ring.pointCount > 0 {
            let front = ring.frontBatch(maxPoints: .max, maxBytes: bytes - ring.freeBytes)
            ring.removeFront(points: front.points, bytes: front.bytes)
            // The batch being sent leaves the ring first but is not lost: the writer sends it.
            let sending = (
                points: min(front.points, peeked.points - droppedFromBatch.points),
                bytes: min(front.bytes, peeked.bytes - droppedFromBatch.bytes)
            )
            droppedFromBatch = (droppedFromBatch.points + sending.points, droppedFromBatch.bytes + sending.bytes)
            dropped = (dropped.points + front.points - sending.points, dropped.bytes + front.bytes - sending.bytes)
        }
        return dropped
    }

    public func append(
        lines: UnsafeBufferPointer<UInt8>,
        lineLengths: UnsafeBufferPointer<UInt32>,
        waitingUpTo timeout: Duration
    ) -> Bool {
        guard lines.count <= ring.capacityBytes else { return false }
        let deadline = Date().addingTimeInterval(timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        while !ring.append(lines: lines, lineLengths: lineLengths) {
            guard !appendsInterrupted, condition.wait(until: deadline) else { return false }
        }
        waiter.pointsArrived(held: ring.pointCount)
        return true
    }

    public func waitForPoints(atLeast points: Int, until deadline: ContinuousClock.Instant) -> Int {
        waiter.wait(atLeast: points, until: deadline) { ring.pointCount }
    }

    public func interruptAppends() {
        condition.lock()
        appendsInterrupted = true
        condition.broadcast()
        condition.unlock()
    }

    public func interruptWaits() {
        waiter.interrupt()
    }

    public func peekBatch(
        maxPoints: Int,
        maxBytes: Int,
        into body: inout [UInt8],
        lineLengths: inout [Int]
    )
        -> (points: Int, bytes: Int)
    {
        condition.lock()
        defer { condition.unlock() }
        let batch = ring.copyFrontBatch(
            maxPoints: maxPoints,
            maxBytes: maxBytes,
            into: &body,
            lineLengths: &lineLengths
        )
        peeked = batch
        droppedFromBatch = (0, 0)
        return batch
    }

    public func removeBatch(points: Int, bytes: Int) {
        condition.lock()
        // `dropOldest` may have removed the front of the batch already.
        ring.removeFront(points: points - droppedFromBatch.points, bytes: bytes - droppedFromBatch.bytes)
        peeked = (0, 0)
        droppedFromBatch = (0, 0)
        // An append may be waiting for room.
        condition.broadcast()
        condition.unlock()
    }
}
