// iotflow-bridge: what one segment file holds, record by record, as start-up finds it.
// SPDX-License-Identifier: Apache-2.0

/// One segment file read at start-up: its valid records, the damaged byte ranges between them,
/// and a torn last record.
///
/// Reading never stops at damage: after bytes that are not a valid record it resynchronises on
/// the next offset where a whole valid record starts (`SegmentFormat.resynchronise`), so a
/// damaged record costs only its own bytes. Only a record cut short by the end of the newest
/// segment (a crash mid-write: never acknowledged) is *torn*; everything else that cannot be
/// read is *damage*.
public struct SegmentSurvey: Equatable, Sendable {
    /// What the file's header says.
    public enum Kind: Equatable, Sendable {
        /// This segment (its header, or a damaged header followed by valid records).
        case segment
        /// The newest file, holding only a prefix of its header (nothing, say): the crash came
        /// between creating it and writing its header. It holds no record.
        case unwritten
        /// A whole header naming another segment id.
        case otherID(UInt64)
        /// Neither this segment's header nor any valid record: not a file the bridge wrote.
        case notASegment
    }

    public var kind: Kind
    /// The valid records, in file order.
    public var records: [SegmentFormat.Record] = []
    /// Byte ranges that hold no valid record, in file order (the torn tail not included).
    public var damage: [Range<Int>] = []
    /// The newest segment's last record, cut short by the end of the file.
    public var tornTail: Range<Int>?
    /// The file's size.
    public var fileBytes: Int

    /// Reads `bytes`, the contents of the file named as segment `id`; `isNewest` when no
    /// segment file with a higher id exists.
    public init(_ bytes: UnsafeRawBufferPointer, id: UInt64, isNewest: Bool) {
        fileBytes = bytes.count
        let header = SegmentFormat.header(id: id)
        let headerBytes = SegmentFormat.headerBytes
        if bytes.count < headerBytes, isNewest, bytes.elementsEqual(header.prefix(bytes.count)) {
            kind = .unwritten
            return
        }
        if let named = SegmentFormat.segmentID(header: bytes) {
            kind = named == id ? .segment : .otherID(named)
            guard named == id else { return }
            readRecords(bytes, from: headerBytes, isNewest: isNewest)
        } else {
            // A damaged header: the file is this segment only if valid records follow it.
            kind = .segment
            guard bytes.count > headerBytes else {
                kind = .notASegment
                return
            }
            readRecords(bytes, from: headerBytes, isNewest: isNewest)
            guard !records.isEmpty else {
                self = SegmentSurvey(kind: .notASegment, fileBytes: bytes.count)
                return
            }
            // The header's bytes join the damage that follows them, if it starts right there.
            if let first = damage.first, first.lowerBound == headerBytes {
                damage[0] = 0..<first.upperBound
            } else {
                damage.insert(0..<headerBytes, at: 0)
            }
        }
    }

    private init(kind: Kind, fileBytes: Int) {
        self.kind = kind
        self.fileBytes = fileBytes
    }

    private mutating func readRecords(_ bytes: UnsafeRawBufferPointer, from start: Int, isNewest: Bool) {
        var offset = start
        while true {
            switch SegmentFormat.scan(bytes, at: offset) {
            case .end:
                return
            case .record(let record):
                records.append(record)
                offset = record.end
            case .invalid:
                if let next = SegmentFormat.resynchronise(bytes, after: offset) {
                    damage.append(offset..<next)
                    offset = next
                } else if isNewest && SegmentFormat.isCutShort(bytes, at: offset) {
                    tornTail = offset..<bytes.count
                    return
                } else {
                    damage.append(offset..<bytes.count)
                    return
                }
            }
        }
    }

    /// Bytes in damaged ranges.
    public var damagedBytes: Int { damage.reduce(0) { $0 + $1.count } }
    /// Points in the valid records, and their line bytes.
    public var points: Int { records.reduce(0) { $0 + $1.points } }
    public var lineBytes: Int { records.reduce(0) { $0 + $1.lineBytes } }

    /// Where a checkpoint may point in this segment: a valid record, the start of a damaged range
    /// (the writer found the damage at run time), or the end (of the file, or the start of a torn
    /// tail: a crash mid-write after the checkpoint was recorded).
    public enum Place: Equatable, Sendable {
        /// The record `index` of `records`, whose first points (taking `takenLineBytes`) were taken.
        case record(index: Int, takenPoints: Int, takenLineBytes: Int)
        case end
    }

    /// Where `checkpoint` (which names this segment) falls, or why it cannot be trusted.
    /// `bytes` are the ones surveyed (for the lengths of the taken lines).
    public func place(of checkpoint: BufferCheckpoint, in bytes: UnsafeRawBufferPointer) -> Result<Place, Mismatch> {
        let offset = checkpoint.offset
        let taken = Int(checkpoint.acceptedPoints)
        if offset == UInt64(fileBytes) || offset == tornTail.map({ UInt64($0.lowerBound) }) {
            return taken == 0 ? .success(.end) : .failure(Mismatch("\(taken) points taken at the end of the segment"))
        }
        guard offset < UInt64(fileBytes) else {
            return .failure(Mismatch("offset \(offset) is beyond the end of the segment (\(fileBytes) bytes)"))
        }
        let index = records.partitioningIndex { UInt64($0.offset) >= offset }
        if damage.contains(where: { UInt64($0.lowerBound) == offset }) {
            // The end of the last valid record before damage: the writer met the damage at run
            // time and stopped there. What it had taken of the damaged record cannot be read.
            return .success(index < records.count ? .record(index: index, takenPoints: 0, takenLineBytes: 0) : .end)
        }
        guard index < records.count, UInt64(records[index].offset) == offset else {
            return .failure(Mismatch("offset \(offset) is not the start of a valid record"))
        }
        let record = records[index]
        guard taken <= record.points else {
            return .failure(Mismatch("\(taken) points taken of a record that holds \(record.points)"))
        }
        let takenLineBytes = record.lineLengths(in: bytes).prefix(taken).reduce(0, +)
        return .success(.record(index: index, takenPoints: taken, takenLineBytes: takenLineBytes))
    }

    /// The points (and line bytes) still to send from `place` on: all of them without one.
    public func pending(from place: Place?) -> (points: Int, lineBytes: Int) {
        switch place {
        case nil:
            return (points, lineBytes)
        case .end:
            return (0, 0)
        case .record(let index, let takenPoints, let takenLineBytes):
            let rest = records[index...]
            return (
                rest.reduce(0) { $0 + $1.points } - takenPoints,
                rest.reduce(0) { $0 + $1.lineBytes } - takenLineBytes
            )
        }
    }

    /// Why a checkpoint does not match its segment.
    public struct Mismatch: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}

extension Array {
    /// The first index whose element satisfies `predicate`, which must be false for a prefix of
    /// the array and true for the rest (binary search).
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
