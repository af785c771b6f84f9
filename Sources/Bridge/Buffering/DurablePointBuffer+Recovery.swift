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
        /// The id for the new segment (above every segment-like name in the directory).
        var nextID: UInt64 = 1
        var recovery = Recovery()
    }

    /// Reads the checkpoint and every segment, and carries out what `RecoveryPlanner` decides:
    /// keep a `.corrupt` copy of each damaged segment, cut a torn tail, delete only what was
    /// delivered (or holds nothing). Symbolic links are never followed. `progress` is called after
    /// each segment read and each segment recovered (start-up asks systemd for more time with it).
    static func recover(directory: String, progress: () -> Void = {}) throws(BridgeError) -> RecoveredState {
        var planner = RecoveryPlanner(entries: try listEntries(directory))
        if planner.readsCheckpoint {
            // An unreadable checkpoint is as untrustworthy as a damaged one: reported, ignored.
            planner.read(checkpoint: (try? FileIO.readFile(directory + "/checkpoint", flags: O_NOFOLLOW)) ?? [])
        }
        for id in planner.segmentsToRead {
            let bytes = try FileIO.readFile(directory + "/" + SegmentFormat.fileName(id: id), flags: O_NOFOLLOW)
            bytes.withUnsafeBytes { planner.read(segment: id, bytes: $0) }
            progress()
        }
        let plan = planner.plan()

        var state = RecoveredState(nextID: plan.nextID)
        state.recovery.leftAlone = plan.leftAlone
        state.recovery.checkpointProblem = plan.checkpointProblem
        if let unwritten = plan.unwritten {
            // Created, but the crash came before its header was written: it holds nothing.
            unlink(directory + "/" + unwritten)
        }
        for segment in plan.delivered {
            // InfluxDB took all of it; the crash came before it was deleted.
            let copied = !segment.needsCopy || keepCopy(of: segment, in: directory, recovery: &state.recovery)
            if copied { unlink(directory + "/" + segment.fileName) }
        }
        for planned in plan.segments {
            try recoverSegment(planned, in: directory, state: &state)
            progress()
        }
        state.start = plan.start.map {
            Cursor(segment: $0.segment, offset: Int($0.offset), skipPoints: Int($0.acceptedPoints))
        }
        return state
    }

    /// Carries out what the plan says for a segment that stays: a `.corrupt` copy of a damaged
    /// one, the cut of a torn tail; and counts it into `state`.
    private static func recoverSegment(
        _ planned: RecoveryPlan.Segment,
        in directory: String,
        state: inout RecoveredState
    ) throws(BridgeError) {
        let path = directory + "/" + planned.fileName
        var keep = false
        if planned.needsCopy { keep = !keepCopy(of: planned, in: directory, recovery: &state.recovery) }
        if let cut = planned.cutTo {
            let descriptor = try FileIO.open(path, flags: O_WRONLY | O_NOFOLLOW)
            defer { close(descriptor) }
            try FileIO.truncate(descriptor, to: cut, path: path)
        }
        if planned.damagedBytes > 0 {
            state.recovery.damagedSegments.append(
                DamagedSegment(
                    file: planned.fileName,
                    unreadable: planned.unreadable,
                    unreadableBytes: planned.damagedBytes,
                    records: planned.records,
                    copied: !keep
                )
            )
        }
        // In a damaged file the torn tail is not cut (the copy is the file as found) but skipped.
        if planned.cutTo != nil { state.recovery.tornBytes += planned.tornBytes }
        state.recovery.segments += 1
        state.recovery.points += planned.points
        state.recovery.bytes += planned.lineBytes
        state.segments.append(
            Segment(
                id: planned.id,
                length: planned.length,
                points: planned.points,
                lineBytes: planned.lineBytes,
                unreadable: planned.unreadable,
                keep: keep
            )
        )
    }

    /// The directory's entries and what each is, from `lstat`.
    private static func listEntries(_ directory: String) throws(BridgeError) -> [StateEntry] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw BridgeError("cannot list the state directory \(directory): \(error.localizedDescription)")
        }
        return try names.map { name throws(BridgeError) in
            var status = stat()
            guard lstat(directory + "/" + name, &status) == 0 else {
                throw .system("cannot stat", directory + "/" + name)
            }
            switch status.st_mode & S_IFMT {
            case S_IFREG: return StateEntry(name, .regularFile)
            case S_IFLNK: return StateEntry(name, .symbolicLink)
            case S_IFDIR: return StateEntry(name, .directory)
            default: return StateEntry(name, .other)
            }
        }
    }

    /// Keeps the damaged `segment` as found under `<segment>.corrupt`: a hard link, so it takes
    /// no space while the segment is still being sent and stays when the segment is deleted.
    /// Returns false (logged) when that cannot be done; the segment is then never deleted.
    private static func keepCopy(
        of segment: RecoveryPlan.Segment,
        in directory: String,
        recovery: inout Recovery
    ) -> Bool {
        let path = directory + "/" + segment.fileName
        guard link(path, path + ".corrupt") != 0 else { return true }
        recovery.copyFailures.append("\(segment.fileName): \(String(cString: strerror(errno)))")
        return false
    }

    /// Logs what start-up found: one line for the buffer, one per damaged segment, one for a
    /// torn tail, an untrusted checkpoint, failed copies and the entries left alone.
    static func log(_ found: Recovery, directory: String, logger: Logger) {
        let metadata: Logger.Metadata = [
            "buffer.path": "\(directory)", "buffer.points": "\(found.points)", "buffer.bytes": "\(found.bytes)",
            "buffer.segments": "\(found.segments)",
        ]
        if found.points > 0 {
            logger.notice("Recovered the durable buffer; its points are sent first.", metadata: metadata)
        } else {
            logger.info("Opened the durable buffer.", metadata: metadata)
        }
        if found.tornBytes > 0 {
            logger.notice(
                "Cut off a record torn by a crash mid-write; it was never acknowledged, so the broker resends it.",
                metadata: ["buffer.path": "\(directory)", "buffer.torn_bytes": "\(found.tornBytes)"]
            )
        }
        for damaged in found.damagedSegments {
            // At most 16 segments (the disk budget) and 8 ranges each: a bounded line.
            let ranges = damaged.unreadable.prefix(8).map { "\($0.lowerBound)-\($0.upperBound)" }
            logger.error(
                "A buffer segment is damaged: the records on both sides of the damage are sent; the damaged bytes cannot be read.",
                metadata: [
                    "buffer.file": "\(directory)/\(damaged.file)",
                    "buffer.copy": damaged.copied ? "\(directory)/\(damaged.file).corrupt" : "none",
                    "buffer.unreadable_bytes": "\(damaged.unreadableBytes)",
                    "buffer.unreadable_ranges":
                        "\(ranges.joined(separator: ","))\(damaged.unreadable.count > 8 ? ",…" : "")",
                    "buffer.records": "\(damaged.records)",
                ]
            )
        }
        if let problem = found.checkpointProblem {
            logger.error(
                "The buffer checkpoint does not match the segments: everything is sent again from the oldest segment, and nothing is deleted.",
                metadata: ["buffer.path": "\(directory)", "buffer.checkpoint": "\(problem)"]
            )
        }
        if !found.copyFailures.isEmpty {
            logger.error(
                "Cannot keep a copy of a damaged buffer segment; the segment itself is kept instead.",
                metadata: [
                    "buffer.path": "\(directory)", "buffer.files": "\(found.copyFailures.joined(separator: "; "))",
                ]
            )
        }
        if !found.leftAlone.isEmpty {
            let listed = found.leftAlone.prefix(20).map(\.description).joined(separator: ", ")
            logger.warning(
                "Entries in the buffer's state directory that the bridge did not write or cannot use; left alone.",
                metadata: [
                    "buffer.path": "\(directory)",
                    "buffer.entries": "\(listed)\(found.leftAlone.count > 20 ? ", …" : "")",
                    "buffer.entries_count": "\(found.leftAlone.count)",
                ]
            )
        }
    }
}
