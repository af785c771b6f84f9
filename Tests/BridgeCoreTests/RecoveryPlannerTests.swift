// iotflow-bridge: start-up recovery's decisions over bytes: damage, torn tails, checkpoints, names.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct RecoveryPlannerTests {
    private func plan(
        _ entries: [StateEntry],
        checkpoint: BufferCheckpoint? = nil,
        checkpointBytes: [UInt8]? = nil,
        segments: [UInt64: [UInt8]]
    ) -> RecoveryPlan {
        var planner = RecoveryPlanner(
            entries: entries
                + ((checkpoint != nil || checkpointBytes != nil) ? [StateEntry("checkpoint", .regularFile)] : [])
        )
        if planner.readsCheckpoint { planner.read(checkpoint: checkpointBytes ?? checkpoint!.encoded) }
        for id in planner.segmentsToRead {
            segments[id]!.withUnsafeBytes { planner.read(segment: id, bytes: $0) }
        }
        return planner.plan()
    }

    private func files(_ ids: [UInt64]) -> [StateEntry] {
        ids.map { StateEntry(SegmentFormat.fileName(id: $0), .regularFile) }
    }

    @Test func entriesTheBridgeDidNotWriteAreLeftAloneAndTheNextIDIsAboveThem() {
        let entries = [
            StateEntry("lock", .regularFile), StateEntry("checkpoint.tmp", .regularFile),
            StateEntry("notes.txt", .regularFile),
            StateEntry(SegmentFormat.fileName(id: 3), .regularFile),
            StateEntry(SegmentFormat.fileName(id: 9), .symbolicLink),
            StateEntry(SegmentFormat.fileName(id: 7), .directory),
            StateEntry(SegmentFormat.fileName(id: 12) + ".corrupt", .regularFile),
            StateEntry(SegmentFormat.fileName(id: 0), .regularFile),
            StateEntry(SegmentFormat.fileName(id: .max), .regularFile),
            StateEntry("checkpoint", .symbolicLink),
        ]
        let planner = RecoveryPlanner(entries: entries)
        #expect(planner.segmentsToRead == [3] && !planner.readsCheckpoint)
        let plan = SegmentBytes(id: 3, count: 2).bytes.withUnsafeBytes { bytes in
            var planner = planner
            planner.read(segment: 3, bytes: bytes)
            return planner.plan()
        }
        #expect(
            plan.leftAlone.map(\.name) == [
                "checkpoint", "notes.txt", SegmentFormat.fileName(id: 0), SegmentFormat.fileName(id: 7),
                SegmentFormat.fileName(id: 9), SegmentFormat.fileName(id: .max),
            ]
        )
        #expect(plan.leftAlone.first { $0.name.hasSuffix("9.log") }?.reason == "a symbolic link, not followed")
        #expect(plan.leftAlone.first { $0.name.hasSuffix("f.log") }?.reason == "segment id out of range")
        #expect(plan.nextID == 13)
        #expect(plan.segments.map(\.id) == [3] && plan.delivered.isEmpty && plan.checkpointProblem == nil)
        #expect(plan.start == BufferCheckpoint(segment: 3, offset: 16))
    }

    @Test func aMatchingCheckpointDeliversTheSegmentsBeforeIt() {
        let one = SegmentBytes(id: 1, count: 4)
        let two = SegmentBytes(id: 2, count: 6)
        let three = SegmentBytes(id: 3, count: 2)
        // Record 2 of segment 2 (three points, see `SegmentBytes`): its first two were taken.
        let checkpoint = BufferCheckpoint(segment: 2, offset: UInt64(two.records[2].lowerBound), acceptedPoints: 2)
        let plan = plan(
            files([1, 2, 3]),
            checkpoint: checkpoint,
            segments: [1: one.bytes, 2: two.bytes, 3: three.bytes]
        )
        #expect(plan.checkpointProblem == nil)
        #expect(plan.delivered.map(\.id) == [1] && plan.segments.map(\.id) == [2, 3])
        #expect(plan.start == checkpoint)
        // Records 2 to 5 of segment 2 hold 3 + 1 + 2 + 3 points; two were taken.
        #expect(plan.segments[0].points == 7 && plan.segments[1].points == 3)
        #expect(plan.nextID == 4)
    }

    @Test func aCheckpointAtTheEndOrAtATornTailMatches() {
        var two = SegmentBytes(id: 2, count: 3)
        let end = BufferCheckpoint(segment: 2, offset: UInt64(two.bytes.count))
        let atEnd = plan(
            files([1, 2]),
            checkpoint: end,
            segments: [1: SegmentBytes(id: 1, count: 1).bytes, 2: two.bytes]
        )
        #expect(atEnd.checkpointProblem == nil && atEnd.delivered.map(\.id) == [1])
        #expect(atEnd.start == end && atEnd.segments[0].points == 0)
        // The crash came mid-write of the record after the checkpoint.
        two.bytes += SegmentBytes(id: 2, count: 1).bytes[16..<30]
        let torn = plan(files([2]), checkpoint: end, segments: [2: two.bytes])
        #expect(torn.checkpointProblem == nil && torn.segments[0].cutTo == Int(end.offset))
    }

    @Test(arguments: [
        ("garbage", "not a valid checkpoint file (5 bytes)"),
        ("missing segment", "segment 4 is not in the directory"),
        ("beyond the file", "segment 2: offset 100000 is beyond the end of the segment"),
        ("mid-record", "segment 2: offset 17 is not the start of a valid record"),
        ("inside damage", "is not the start of a valid record"),
        ("too many points", "points taken of a record that holds 1"),
    ])
    func aCheckpointThatDoesNotMatchIsReportedAndDeletesNothing(kind: String, problem: String) {
        var two = SegmentBytes(id: 2, count: 6)
        var checkpoint = BufferCheckpoint(segment: 2, offset: UInt64(two.records[3].lowerBound))
        var bytes: [UInt8]?
        switch kind {
        case "garbage": bytes = [1, 2, 3, 4, 5]
        case "missing segment": checkpoint.segment = 4
        case "beyond the file": checkpoint.offset = 100_000
        case "mid-record": checkpoint.offset = 17
        case "inside damage":
            // Records 2 and 3 damaged: record 3's start lies inside the damage.
            two.bytes[two.records[2].lowerBound + 14] ^= 1
            two.bytes[two.records[3].lowerBound + 14] ^= 1
        default: checkpoint = BufferCheckpoint(segment: 2, offset: UInt64(two.records[0].lowerBound), acceptedPoints: 2)
        }
        let plan = plan(
            files([1, 2, 3]),
            checkpoint: checkpoint,
            checkpointBytes: bytes,
            segments: [1: SegmentBytes(id: 1, count: 4).bytes, 2: two.bytes, 3: SegmentBytes(id: 3, count: 2).bytes]
        )
        #expect(plan.checkpointProblem?.contains(problem) == true, "\(plan.checkpointProblem ?? "none")")
        #expect(plan.delivered.isEmpty && plan.segments.map(\.id) == [1, 2, 3])
        #expect(plan.start == BufferCheckpoint(segment: 1, offset: 16))
        // 7, 12 (less the damaged records' 3 + 1 points) and 3 points.
        let all = 7 + (kind == "inside damage" ? 8 : 12) + 3
        #expect(plan.segments.reduce(0) { $0 + $1.points } == all)
    }

    @Test func damageIsCopiedTornTailsAreCutOnlyFromUndamagedFiles() {
        var one = SegmentBytes(id: 1, count: 5)
        one.bytes[one.records[1].lowerBound + 13] ^= 1
        var two = SegmentBytes(id: 2, count: 5)
        two.bytes.removeLast(3)
        let plan = plan(files([1, 2]), segments: [1: one.bytes, 2: two.bytes])
        #expect(plan.segments.map(\.needsCopy) == [true, false])
        #expect(plan.segments[0].unreadable == [one.records[1]] && plan.segments[0].cutTo == nil)
        #expect(plan.segments[1].cutTo == two.records[4].lowerBound && plan.segments[1].unreadable.isEmpty)
        #expect(plan.segments[1].tornBytes == two.records[4].count - 3)

        // Damaged and torn: the file stays as found (its copy is a hard link); the tail is skipped.
        var both = SegmentBytes(id: 1, count: 5)
        both.bytes[both.records[1].lowerBound + 13] ^= 1
        both.bytes.removeLast(3)
        let kept = self.plan(
            files([1]) + [StateEntry(SegmentFormat.fileName(id: 1) + ".corrupt", .regularFile)],
            segments: [1: both.bytes]
        )
        #expect(kept.segments[0].cutTo == nil && !kept.segments[0].needsCopy)
        #expect(kept.segments[0].unreadable == [both.records[1], both.records[4].lowerBound..<both.bytes.count])
        #expect(kept.segments[0].length == both.bytes.count)
    }

    /// The writer stops at damage it finds at run time; its checkpoint there is the end of the
    /// last valid record before the damage: it matches, and sending resumes after the damage.
    @Test func aCheckpointAtTheStartOfDamageMatches() {
        var two = SegmentBytes(id: 2, count: 6)
        two.bytes[two.records[3].lowerBound + 13] ^= 1
        let checkpoint = BufferCheckpoint(segment: 2, offset: UInt64(two.records[3].lowerBound), acceptedPoints: 1)
        let plan = plan(
            files([1, 2]),
            checkpoint: checkpoint,
            segments: [1: SegmentBytes(id: 1, count: 2).bytes, 2: two.bytes]
        )
        #expect(plan.checkpointProblem == nil && plan.delivered.map(\.id) == [1])
        #expect(plan.start == BufferCheckpoint(segment: 2, offset: UInt64(two.records[4].lowerBound)))
        #expect(plan.segments[0].points == 5)
    }

    @Test func theOldestSegmentStartingWithDamageStartsAtItsFirstValidRecord() {
        var one = SegmentBytes(id: 1, count: 3)
        one.bytes[20] ^= 1
        let plan = plan(files([1]), segments: [1: one.bytes])
        #expect(plan.start == BufferCheckpoint(segment: 1, offset: UInt64(one.records[1].lowerBound)))
    }

    @Test func anUnwrittenNewestSegmentIsDeletedAndNothingElse() {
        let plan = plan(
            files([1, 2]),
            segments: [1: SegmentBytes(id: 1, count: 2).bytes, 2: Array(SegmentFormat.header(id: 2).prefix(5))]
        )
        #expect(plan.unwritten == SegmentFormat.fileName(id: 2) && plan.segments.map(\.id) == [1])
        #expect(plan.nextID == 3)
    }
}
