// iotflow-bridge: surveying one segment's bytes: records, damage, torn tails, headers.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct SegmentSurveyTests {
    @Test func aCleanSegmentIsReadWhole() {
        let segment = SegmentBytes(count: 20)
        let survey = segment.survey()
        #expect(survey.kind == .segment && survey.damage.isEmpty && survey.tornTail == nil)
        #expect(survey.records.map { $0.offset..<$0.end } == segment.records)
        #expect(survey.points == 39)
    }

    @Test func aZeroedRunIsNotARecord() {
        let zeros = [UInt8](repeating: 0, count: 64)
        guard case .invalid = zeros.withUnsafeBytes({ SegmentFormat.scan($0, at: 0) }) else {
            Issue.record("zeros read as a record")
            return
        }
    }

    /// Damage in the middle of the newest segment: what follows it is read, nothing is torn.
    @Test(arguments: ["flip", "zero", "garbage", "insert"])
    func damageInTheMiddleCostsOnlyTheDamagedRecord(kind: String) {
        var segment = SegmentBytes(count: 10)
        let damaged = segment.records[4]
        switch kind {
        case "flip": segment.bytes[damaged.lowerBound + 20] ^= 0x40
        case "zero": segment.bytes.replaceSubrange(damaged, with: repeatElement(0, count: damaged.count))
        case "garbage": segment.bytes.replaceSubrange(damaged, with: (0..<damaged.count).map { UInt8($0 &* 37 & 0xff) })
        default: segment.bytes.insert(contentsOf: [1, 2, 3, 4, 5], at: damaged.lowerBound)
        }
        let survey = segment.survey()
        if kind == "insert" {
            // Bytes inserted before a record cost only themselves: the record is found after them.
            let expected = segment.records.enumerated().map { $0 < 4 ? $1.lowerBound : $1.lowerBound + 5 }
            #expect(survey.records.map(\.offset) == expected)
            #expect(survey.damage == [damaged.lowerBound..<(damaged.lowerBound + 5)])
        } else {
            let expected = segment.records.enumerated().filter { $0.offset != 4 }.map(\.element.lowerBound)
            #expect(survey.records.map(\.offset) == expected)
            #expect(survey.damage == [damaged])
        }
        #expect(survey.tornTail == nil)
    }

    @Test func onlyTheNewestSegmentsRecordCutShortIsTorn() {
        var segment = SegmentBytes(count: 5)
        let last = segment.records[4]
        segment.bytes.removeLast(7)
        let newest = segment.survey(isNewest: true)
        #expect(newest.tornTail == last.lowerBound..<(last.upperBound - 7) && newest.damage.isEmpty)
        #expect(newest.records.count == 4)
        let older = segment.survey(isNewest: false)
        #expect(older.tornTail == nil && older.damage == [last.lowerBound..<(last.upperBound - 7)])
        // A last record whose bytes are all there but fail the checksum is damage, not a torn write.
        var flipped = SegmentBytes(count: 5)
        flipped.bytes[flipped.bytes.count - 2] ^= 1
        #expect(flipped.survey().tornTail == nil && flipped.survey().damage == [flipped.records[4]])
    }

    @Test func headers() {
        let segment = SegmentBytes(count: 3)
        #expect(segment.survey(id: 2).kind == .otherID(1))
        #expect([UInt8]().withUnsafeBytes { SegmentSurvey($0, id: 1, isNewest: true) }.kind == .unwritten)
        let partial = Array(segment.bytes.prefix(9))
        #expect(partial.withUnsafeBytes { SegmentSurvey($0, id: 1, isNewest: true) }.kind == .unwritten)
        #expect(partial.withUnsafeBytes { SegmentSurvey($0, id: 1, isNewest: false) }.kind == .notASegment)
        let text = Array("not a segment, but named like one\n".utf8)
        #expect(text.withUnsafeBytes { SegmentSurvey($0, id: 1, isNewest: true) }.kind == .notASegment)
        // A damaged header followed by valid records is this segment, damaged.
        var damagedHeader = segment
        damagedHeader.bytes[2] ^= 0xff
        let survey = damagedHeader.survey()
        #expect(survey.kind == .segment && survey.damage == [0..<16] && survey.records.count == 3)
    }

    /// Random damage (flipped, zeroed or random bytes, runs of 1–64) at random offsets of a
    /// segment of 60 records: reading never traps, every record outside the damaged bytes is
    /// read at its offset, and nothing is read that was not written.
    @Test func randomDamageNeverLosesARecordOutsideTheDamagedBytes() {
        let clean = SegmentBytes(count: 60)
        var random = SplitMix64(state: 0x1f_2e3d)
        for round in 0..<600 {
            var bytes = clean.bytes
            var touched: [Range<Int>] = []
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let start = Int.random(in: 0..<bytes.count, using: &random)
                let run = start..<min(bytes.count, start + Int.random(in: 1...64, using: &random))
                let mode = Int.random(in: 0..<3, using: &random)
                for index in run {
                    switch mode {
                    case 0: bytes[index] ^= UInt8.random(in: 1...255, using: &random)
                    case 1: bytes[index] = 0
                    default: bytes[index] = UInt8.random(in: 0...255, using: &random)
                    }
                }
                touched.append(run)
            }
            let isNewest = round % 2 == 0
            let survey = bytes.withUnsafeBytes { SegmentSurvey($0, id: 1, isNewest: isNewest) }
            let read = Set(survey.records.map(\.offset))
            // A header naming another id, or neither header nor records: the file is left alone.
            let leftAlone = touched.contains { $0.overlaps(0..<16) } && survey.kind != .segment
            let lost = clean.records.filter { record in
                !touched.contains { $0.overlaps(record) } && !read.contains(record.lowerBound)
            }
            #expect(leftAlone || lost.isEmpty, "round \(round): lost \(lost), damage \(touched)")
            #expect(read.isSubset(of: clean.records.map(\.lowerBound)), "round \(round): read a record never written")
            // Damage, torn tail and records cover the file without overlapping.
            let covered =
                (survey.damage + survey.records.map { $0.offset..<$0.end } + [survey.tornTail].compactMap { $0 })
                .reduce(0) { $0 + $1.count }
            if survey.kind == .segment {
                #expect(covered + (survey.damage.first?.lowerBound == 0 ? 0 : 16) == bytes.count, "round \(round)")
            }
        }
    }

    @Test func readableRunsSkipDamage() {
        let damage = [100..<150, 150..<160, 300..<400]
        #expect(SegmentFormat.readableRun(from: 16, length: 500, damage: damage) == 16..<100)
        #expect(SegmentFormat.readableRun(from: 100, length: 500, damage: damage) == 160..<300)
        #expect(SegmentFormat.readableRun(from: 320, length: 500, damage: damage) == 400..<500)
        #expect(SegmentFormat.readableRun(from: 500, length: 500, damage: damage) == 500..<500)
        #expect(SegmentFormat.readableRun(from: 16, length: 400, damage: [16..<400]) == 400..<400)
    }
}
