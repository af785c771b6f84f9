// iotflow-bridge: which durable records the points in memory came from.
// SPDX-License-Identifier: Apache-2.0

/// The records whose points are in the in-memory ring, oldest first, so that removing points
/// from the front of the ring moves the durable buffer's checkpoint.
///
/// A record may be only partly in the ring: the checkpoint may fall inside it, in which case
/// its first `firstPoint` points were accepted before they were loaded.
public struct RecordLedger: Sendable {
    private struct Entry: Sendable {
        var segment: UInt64
        var offset: UInt64
        /// Points of the record loaded into the ring.
        var points: UInt32
        /// Points of the record accepted before it was loaded.
        var firstPoint: UInt32
    }

    private var entries = Ring<Entry>()
    /// Points of the front entry removed since it was loaded.
    private var removedFromFront = 0

    public init() {}

    /// Whether no loaded record is left.
    public var isEmpty: Bool { entries.count == 0 }

    /// Notes that `points` points of the record at (`segment`, `offset`) were loaded, after its
    /// first `firstPoint` points (already accepted).
    public mutating func loaded(segment: UInt64, offset: Int, points: Int, firstPoint: Int = 0) {
        entries.append(
            Entry(segment: segment, offset: UInt64(offset), points: UInt32(points), firstPoint: UInt32(firstPoint))
        )
    }

    /// Notes that the first `points` loaded points left the ring.
    public mutating func remove(points: Int) {
        var left = points + removedFromFront
        while entries.count > 0, left >= Int(entries[0].points) {
            left -= Int(entries[0].points)
            entries.removeFront(1)
        }
        precondition(entries.count > 0 || left == 0, "removed more points than were loaded")
        removedFromFront = left
    }

    /// The checkpoint at the front: the oldest loaded record and how many of its points are
    /// gone. Nil when nothing is loaded (the checkpoint is then the next record to load).
    public var checkpoint: BufferCheckpoint? {
        guard entries.count > 0 else { return nil }
        let front = entries[0]
        return BufferCheckpoint(
            segment: front.segment,
            offset: front.offset,
            acceptedPoints: front.firstPoint + UInt32(removedFromFront)
        )
    }
}
