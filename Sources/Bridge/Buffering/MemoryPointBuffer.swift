// iotflow-bridge: the in-memory point buffer: a ring behind the core's lock, and its two halves.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

extension PointBuffer {
    /// A buffer in memory holding at most `capacityBytes` bytes of encoded points.
    public static func memory(capacityBytes: Int) -> PointBuffer {
        let core = PointBufferCore(
            MemoryBufferState(capacityBytes: capacityBytes),
            capacityBytes: capacityBytes,
            isDurable: false
        )
        return PointBuffer(
            handle: core,
            intake: HandOff(MemoryPointIntake(core)),
            outlet: HandOff(MemoryPointOutlet(core)),
            recovery: nil
        )
    }
}

/// The memory buffer's state under the core's lock: the committed points, and the batch the
/// writer is sending.
struct MemoryBufferState: PointBufferState {
    var ring: PointRing
    /// The batch `peekBatch` returned, at the front of the ring until `removeBatch`.
    var peeked = (points: 0, bytes: 0)
    /// What `dropOldest` removed of that batch: the writer holds its own copy and still sends
    /// it, so it is not counted as dropped, and `removeBatch` removes only the rest.
    var droppedFromBatch = (points: 0, bytes: 0)

    init(capacityBytes: Int) {
        ring = PointRing(capacityBytes: capacityBytes)
    }

    var occupancy: (points: Int, bytes: Int) { (ring.pointCount, ring.byteCount) }
    var oldestTimestamp: Int64? { ring.frontTimestamp }

    /// Drops the oldest points until `bytes` bytes are free or the ring is empty, and returns
    /// what was dropped, less what the writer is sending.
    mutating func dropOldest(freeing bytes: Int) -> (points: Int, bytes: Int) {
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

    /// Removes the batch being sent; `dropOldest` may have removed its front already.
    mutating func removeBatch(points: Int, bytes: Int) {
        ring.removeFront(points: points - droppedFromBatch.points, bytes: bytes - droppedFromBatch.bytes)
        peeked = (0, 0)
        droppedFromBatch = (0, 0)
    }
}

/// The MQTT thread's half of the memory buffer: appends are staged here and reach the ring, and
/// so the writer, at `commit()`; an append that finds no room commits what is staged and waits
/// for the writer to make room. Owned by the MQTT thread alone.
final class MemoryPointIntake: PointBufferIntake {
    private let core: PointBufferCore<MemoryBufferState>
    private var stagedLines: [UInt8] = []
    private var stagedLengths: [UInt32] = []

    init(_ core: PointBufferCore<MemoryBufferState>) {
        self.core = core
    }

    var occupancy: (points: Int, bytes: Int) { core.occupancy }

    func hasRoom(forBytes bytes: Int) -> Bool {
        let staged = stagedLines.count
        return core.read { $0.ring.freeBytes >= staged + bytes }
    }

    func dropOldest(freeing bytes: Int) -> (points: Int, bytes: Int) {
        let staged = stagedLines.count
        return core.update { $0.dropOldest(freeing: staged + bytes) }
    }

    func append(
        lines: UnsafeBufferPointer<UInt8>,
        lineLengths: UnsafeBufferPointer<UInt32>,
        waitingUpTo timeout: Duration
    ) -> Bool {
        guard lines.count <= core.capacityBytes else { return false }
        if !hasRoom(forBytes: lines.count) {
            // What is staged goes to the writer first (nothing is made safer by holding it
            // back), so the wait is only for the writer to remove what it has sent.
            commitStaged()
            guard core.waitForRoom(upTo: timeout, { $0.ring.freeBytes >= lines.count }) else { return false }
        }
        stagedLines.append(contentsOf: lines)
        stagedLengths.append(contentsOf: lineLengths)
        return true
    }

    /// Hands the staged lines to the writer; memory has nothing to write first, so it cannot fail.
    func commit() {
        commitStaged()
    }

    private func commitStaged() {
        guard !stagedLengths.isEmpty else { return }
        let appended = core.update { state in
            stagedLines.withUnsafeBufferPointer { lines in
                stagedLengths.withUnsafeBufferPointer { state.ring.append(lines: lines, lineLengths: $0) }
            }
        }
        // Each append made sure the ring had room for everything staged; only the writer and
        // `dropOldest` (this thread) change the ring meanwhile, and both only free room.
        precondition(appended, "staged lines must fit the room they were staged for")
        stagedLines.removeAll(keepingCapacity: true)
        stagedLengths.removeAll(keepingCapacity: true)
    }
}

@available(*, unavailable)
extension MemoryPointIntake: Sendable {}

/// The writer thread's half of the memory buffer: it waits for points, copies batches from the
/// front of the ring and removes them once InfluxDB has settled them. Owned by the writer
/// thread alone.
final class MemoryPointOutlet: PointBufferOutlet {
    private let core: PointBufferCore<MemoryBufferState>

    init(_ core: PointBufferCore<MemoryBufferState>) {
        self.core = core
    }

    var occupancy: (points: Int, bytes: Int) { core.occupancy }

    var isDurable: Bool { false }

    func waitForPoints(atLeast points: Int, until deadline: ContinuousClock.Instant) -> Int {
        core.waitForPoints(atLeast: points, until: deadline)
    }

    func peekBatch(
        maxPoints: Int,
        maxBytes: Int,
        into body: inout [UInt8],
        lineLengths: inout [Int]
    )
        -> (points: Int, bytes: Int)
    {
        core.update { state in
            let batch = state.ring.copyFrontBatch(
                maxPoints: maxPoints,
                maxBytes: maxBytes,
                into: &body,
                lineLengths: &lineLengths
            )
            state.peeked = batch
            state.droppedFromBatch = (0, 0)
            return batch
        }
    }

    func removeBatch(points: Int, bytes: Int) {
        // An append may be waiting for room; `update` wakes it.
        core.update { $0.removeBatch(points: points, bytes: bytes) }
    }
}

@available(*, unavailable)
extension MemoryPointOutlet: Sendable {}
