// iotflow-bridge: start-up of the durable buffer: what the state directory holds.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import Glibc
import Logging

extension DurablePointBuffer {
    /// The state directory as found, ready to continue from.
    struct RecoveredState {
        var segments: [Segment] = []
        /// The first record not yet taken by InfluxDB, or nil when nothing is waiting.
        var start: Cursor?
        /// The id for the new segment (above every segment file, damaged ones included).
        var nextID: UInt64 = 1
        var recovery = Recovery()
    }

    /// Reads every segment after the checkpoint and checks every record in it.
    static func recover(directory: String) throws(BufferError) -> RecoveredState {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw BufferError("cannot list the state directory \(directory): \(error.localizedDescription)")
        }
        var state = RecoveredState()
        var found: [(id: UInt64, name: String)] = []
        for name in names {
            if let id = SegmentFormat.segmentID(fileName: name) {
                found.append((id, name))
                state.nextID = max(state.nextID, id + 1)
            } else if name.hasSuffix(".corrupt"), let id = SegmentFormat.segmentID(fileName: String(name.dropLast(8))) {
                state.nextID = max(state.nextID, id + 1)
            } else if !["lock", "checkpoint", "checkpoint.tmp"].contains(name) {
                state.recovery.foreignFiles.append(name)
            }
        }
        found.sort { $0.id < $1.id }
        let checkpoint = (try? FileIO.readFile(directory + "/checkpoint")).flatMap(BufferCheckpoint.init(encoded:))

        for (index, (id, name)) in found.enumerated() {
            let path = directory + "/" + name
            let isLast = index == found.count - 1
            let bytes = try FileIO.readFile(path)
            guard bytes.withUnsafeBytes({ SegmentFormat.segmentID(header: $0) }) == id else {
                if bytes.isEmpty && isLast {
                    // Created, but the crash came before its header was written: it holds nothing.
                    unlink(path)
                } else {
                    state.recovery.corruptSegments.append(name)
                    state.recovery.unreadableBytes += bytes.count
                    rename(path, path + ".corrupt")
                }
                continue
            }
            if let checkpoint, id < checkpoint.segment {
                // InfluxDB took all of it; the crash came before it was deleted.
                unlink(path)
                continue
            }
            state.recovery.segments += 1
            var records: [SegmentFormat.Record] = []
            var offset = SegmentFormat.headerBytes
            var damaged = false
            scanning: while true {
                switch bytes.withUnsafeBytes({ SegmentFormat.scan($0, at: offset) }) {
                case .end:
                    break scanning
                case .invalid:
                    damaged = true
                    break scanning
                case .record(let record):
                    records.append(record)
                    offset = record.end
                }
            }
            // Where InfluxDB's progress lies in this segment; a checkpoint that is not at a
            // record start (written before damage was found, say) is ignored: resend it all.
            var from = SegmentFormat.headerBytes
            var skip = 0
            if let checkpoint, id == checkpoint.segment,
                Int(checkpoint.offset) == offset || records.contains(where: { $0.offset == Int(checkpoint.offset) })
            {
                from = Int(checkpoint.offset)
                skip = Int(checkpoint.acceptedPoints)
            }
            var segment = Segment(id: id, length: offset, corrupt: false)
            for record in records where record.offset >= from {
                let taken = record.offset == from ? min(skip, record.points) : 0
                var takenBytes = 0
                bytes.withUnsafeBytes { raw in
                    for line in 0..<taken {
                        takenBytes += Int(
                            raw.loadUnaligned(fromByteOffset: record.lengthsOffset + 4 * line, as: UInt32.self)
                                .littleEndian
                        )
                    }
                }
                segment.points += record.points - taken
                segment.lineBytes += record.lineBytes - takenBytes
            }
            state.recovery.points += segment.points
            state.recovery.bytes += segment.lineBytes
            if damaged {
                if isLast {
                    // A record torn by a crash mid-write: its PUBACK was never sent.
                    state.recovery.tornBytes += bytes.count - offset
                    let descriptor = try FileIO.open(path, flags: O_WRONLY)
                    defer { close(descriptor) }
                    try FileIO.truncate(descriptor, to: offset, path: path)
                } else {
                    segment.corrupt = true
                    state.recovery.corruptSegments.append(name)
                    state.recovery.unreadableBytes += bytes.count - offset
                }
            }
            if state.start == nil { state.start = Cursor(segment: id, offset: from, skipPoints: skip) }
            state.segments.append(segment)
        }
        return state
    }
}
