// iotflow-bridge: what both halves of the durable buffer share, under the core's lock.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

/// The durable buffer's state under the core's lock: the in-memory window (`ring`) and where
/// its records came from (`ledger`), the segments, the next record to load, and the counts.
/// A value with no I/O: the halves do the file work outside the lock and report it here.
struct DurableBufferState: PointBufferState {
    typealias Segment = DurablePointBuffer.Segment
    typealias Cursor = DurablePointBuffer.Cursor

    var ring: PointRing
    var ledger = RecordLedger()
    var segments: [Segment]
    /// The next record to load into the ring.
    var cursor: Cursor
    /// Whether records wait in the files that are not in the ring: then the writer loads them.
    var spilled: Bool
    var heldPoints: Int
    var heldBytes: Int
    var diskBytes: Int
    /// Counts `dropOldest` calls that deleted segments, so a load from the files that raced
    /// with one is discarded and done again.
    var dropGeneration = 0

    var occupancy: (points: Int, bytes: Int) { (heldPoints, heldBytes) }
    /// The ring holds the front of what is held whenever it holds anything.
    var oldestTimestamp: Int64? { ring.frontTimestamp }

    /// Counts `staged`, just written at `base` of segment `id` (now `length` bytes long), and
    /// makes it visible: into the ring if it is not spilled and has room.
    mutating func committed(_ staged: StagedRecords, segment id: UInt64, at base: Int, length: Int) {
        segments[segments.count - 1].length = length
        segments[segments.count - 1].points += staged.lengths.count
        segments[segments.count - 1].lineBytes += staged.lines.count
        diskBytes += staged.records.count
        heldPoints += staged.lengths.count
        heldBytes += staged.lines.count
        let loaded =
            !spilled
            && staged.lines.withUnsafeBufferPointer { lines in
                staged.lengths.withUnsafeBufferPointer { ring.append(lines: lines, lineLengths: $0) }
            }
        guard loaded else {
            // The ring is full: from here on the writer loads records from the files.
            spilled = true
            return
        }
        for (start, points) in zip(staged.recordStarts, staged.recordPoints) {
            ledger.loaded(segment: id, offset: base + start, points: points)
        }
        cursor = Cursor(segment: id, offset: length, skipPoints: 0)
    }

    /// Counts the new segment `id` the MQTT thread appends to from now on.
    mutating func started(segment id: UInt64) {
        segments.append(Segment(id: id, length: SegmentFormat.headerBytes))
        diskBytes += SegmentFormat.headerBytes
        if !spilled { cursor = Cursor(segment: id, offset: SegmentFormat.headerBytes, skipPoints: 0) }
    }

    /// Takes out of the list the oldest segments the writer has not started reading (after the
    /// cursor's, before the active one) until `reserve` more bytes fit in `capacity`, and
    /// returns them for deletion.
    mutating func dropOldest(toFit reserve: Int, within capacity: Int) -> [Segment] {
        var dropped: [Segment] = []
        while diskBytes + reserve > capacity,
            let index = segments.firstIndex(where: { $0.id > cursor.segment }), index < segments.count - 1
        {
            let segment = segments.remove(at: index)
            diskBytes -= segment.length
            heldPoints -= segment.points
            heldBytes -= segment.lineBytes
            dropped.append(segment)
        }
        if !dropped.isEmpty { dropGeneration += 1 }
        return dropped
    }

    /// Removes the batch the writer sent from the front.
    mutating func removeBatch(points: Int, bytes: Int) {
        ring.removeFront(points: points, bytes: bytes)
        ledger.remove(points: points)
        heldPoints -= points
        heldBytes -= bytes
    }

    /// How far InfluxDB has taken the buffer, and the segments wholly before that, taken out of
    /// the list for deletion.
    mutating func releaseAccepted() -> (checkpoint: BufferCheckpoint, released: [Segment]) {
        let checkpoint =
            ledger.checkpoint
            ?? BufferCheckpoint(
                segment: cursor.segment,
                offset: UInt64(cursor.offset),
                acceptedPoints: UInt32(cursor.skipPoints)
            )
        var released: [Segment] = []
        while segments.count > 1 && segments[0].id < checkpoint.segment {
            released.append(segments.removeFirst())
            diskBytes -= released[released.count - 1].length
        }
        return (checkpoint, released)
    }

    /// Puts the records read from the files into the ring and moves the cursor to `end`, unless
    /// `dropOldest` deleted segments since the read began at `generation`: then returns false
    /// and the next peek reads again.
    mutating func loaded(
        _ loaded: DurablePointBuffer.LoadedRecords,
        endingAt end: Cursor,
        readAt generation: Int
    )
        -> Bool
    {
        guard dropGeneration == generation else { return false }
        let appended = loaded.lines.withUnsafeBufferPointer { bytes in
            loaded.lengths.withUnsafeBufferPointer { ring.append(lines: bytes, lineLengths: $0) }
        }
        precondition(appended, "records loaded within the ring's free bytes must fit")
        for record in loaded.records {
            ledger.loaded(
                segment: record.segment,
                offset: record.offset,
                points: record.points,
                firstPoint: record.firstPoint
            )
        }
        var position = end
        // Past the end of a finished segment, the cursor moves to the first record of the next.
        if let index = segments.firstIndex(where: { $0.id == position.segment }), index + 1 < segments.count,
            position.offset >= segments[index].length
        {
            let next = segments[index + 1]
            let run = SegmentFormat.readableRun(
                from: SegmentFormat.headerBytes,
                length: next.length,
                damage: next.unreadable
            )
            position = Cursor(segment: next.id, offset: run.lowerBound, skipPoints: 0)
        }
        cursor = position
        let last = segments[segments.count - 1]
        spilled = cursor != Cursor(segment: last.id, offset: last.length, skipPoints: 0)
        return true
    }
}
