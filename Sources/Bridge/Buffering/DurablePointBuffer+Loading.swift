// iotflow-bridge: the durable buffer's writer thread reading records back from a segment file.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Glibc

extension DurablePointBuffer {
    /// Records read from the files for the ring, and where each came from.
    struct LoadedRecords {
        var lines: [UInt8] = []
        var lengths: [UInt32] = []
        var records: [(segment: UInt64, offset: Int, points: Int, firstPoint: Int)] = []
    }

    /// Reads the records of `run` (valid bytes of segment `id`, at `path`) from `position` on,
    /// while they fit `budget`, and moves `position` past what it read. Returns the damage found
    /// at run time (after start-up checked the file), which ends the read.
    static func load(
        _ run: Range<Int>,
        of id: UInt64,
        path: String,
        from position: inout Cursor,
        budget: inout Int,
        into loaded: inout LoadedRecords
    ) throws(BridgeError) -> BridgeError? {
        let chunk: [UInt8]
        do {
            // A record takes at most 12 + 3 × its line bytes, so a record that fits the budget
            // fits the chunk.
            let descriptor = try FileIO.open(path, flags: O_RDONLY)
            defer { close(descriptor) }
            let count = min(run.upperBound - position.offset, 3 * budget + (1 << 20))
            chunk = try FileIO.read(descriptor, count: count, at: position.offset, path: path)
        }
        let chunkStart = position.offset
        var offset = 0
        while offset < chunk.count {
            let scanned = chunk.withUnsafeBytes { SegmentFormat.scan($0, at: offset) }
            guard case .record(let record) = scanned else {
                if chunk.count < run.upperBound - chunkStart { return nil }  // the chunk ends mid-record
                return BridgeError("\(path) at byte \(chunkStart + offset): \(scanned)")
            }
            let skip = min(position.skipPoints, record.points)
            let (skippedBytes, recordLengths) = chunk.withUnsafeBytes { raw in
                let lengths = record.lineLengths(in: raw)
                return (lengths.prefix(skip).reduce(0, +), lengths.dropFirst(skip).map { UInt32($0) })
            }
            let lineBytes = record.lineBytes - skippedBytes
            guard lineBytes <= budget else { return nil }
            budget -= lineBytes
            loaded.lines.append(contentsOf: chunk[(record.linesOffset + skippedBytes)..<record.end])
            loaded.lengths += recordLengths
            loaded.records.append((id, chunkStart + offset, record.points - skip, skip))
            offset = record.end
            position.offset = chunkStart + offset
            position.skipPoints = 0
        }
        return nil
    }
}
