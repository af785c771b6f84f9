// iotflow-bridge: the durable buffer's start-up against real files: damage, checkpoints, odd entries.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import Foundation
import Logging
import Testing

/// The byte range of each record in a segment file.
private func recordRanges(_ url: URL) throws -> [Range<Int>] {
    let bytes = [UInt8](try Data(contentsOf: url))
    var ranges: [Range<Int>] = []
    var offset = SegmentFormat.headerBytes
    while case .record(let record) = bytes.withUnsafeBytes({ SegmentFormat.scan($0, at: offset) }) {
        ranges.append(record.offset..<record.end)
        offset = record.end
    }
    return ranges
}

/// The `seq` of a line made by `line(_:)`.
private func sequenceNumber(_ text: String) -> Int {
    Int(text.split(separator: "seq=")[1].split(separator: " ")[0])!
}

/// Flips one byte inside the lines of the record at `range` of the file at `url`.
private func damage(_ url: URL, record range: Range<Int>) throws {
    var bytes = try Data(contentsOf: url)
    bytes[range.upperBound - 3] ^= 0x20
    try bytes.write(to: url)
}

@Suite struct DurableBufferRecoveryTests {
    /// The case: damage in the middle of the newest segment used to cut it there,
    /// deleting the acknowledged records after the damage.
    @Test func damageInTheMiddleOfTheNewestSegmentCostsOnlyTheDamagedRecord() throws {
        let directory = StateDirectory()
        do {
            let buffer = try directory.open()
            for index in 0..<50 { try appendMessage(buffer.intake, [line(index)]) }
        }
        let name = try #require(directory.segments.last)
        let url = directory.url(name)
        let records = try recordRanges(url)
        try #require(records.count == 50)
        try damage(url, record: records[20])
        let damagedBytes = try Data(contentsOf: url)

        for _ in 0..<2 {
            // Twice without sending: the same damage is found again; the copy is made once.
            let reopened = try directory.open()
            #expect(reopened.recovery.tornBytes == 0 && reopened.recovery.points == 49)
            #expect(reopened.recovery.damagedSegments.map(\.file) == [name])
            #expect(reopened.recovery.unreadableBytes == records[20].count)
            #expect(reopened.recovery.damagedSegments.first?.copied == true)
            #expect(try Data(contentsOf: url) == damagedBytes, "the damaged segment was changed")
        }
        do {
            let reopened = try directory.open()
            #expect(drain(reopened.outlet) == (0..<50).filter { $0 != 20 }.map(line))
        }
        // Sent: the segment is deleted, the copy of the file as found stays.
        #expect(!directory.files.contains(name))
        #expect(try Data(contentsOf: directory.url(name + ".corrupt")) == damagedBytes)
        let again = try directory.open()
        #expect(again.recovery.points == 0 && again.recovery.damagedSegments.isEmpty)
        withExtendedLifetime(again) {}
    }

    /// A spilled backlog over several segments, damaged in the middle of the oldest.
    @Test func damageInAnOlderSegmentCostsOnlyTheDamagedRecord() throws {
        let directory = StateDirectory()
        do {
            let buffer = try directory.open(memory: 64 << 10, disk: 1 << 20)
            for index in 0..<3000 { try appendMessage(buffer.intake, [line(index)]) }
        }
        let first = directory.segments[0]
        let records = try recordRanges(directory.url(first))
        let damaged = records.count / 2
        try damage(directory.url(first), record: records[damaged])
        let reopened = try directory.open(memory: 64 << 10, disk: 1 << 20)
        #expect(reopened.recovery.damagedSegments.map(\.file) == [first])
        #expect(reopened.recovery.unreadableBytes == records[damaged].count)
        #expect(reopened.recovery.points == 2999)
        #expect(drain(reopened.outlet, batch: 333) == (0..<3000).filter { $0 != damaged }.map(line))
        #expect(directory.files.contains(first + ".corrupt") && !directory.files.contains(first))
    }

    /// Damage that appears while the bridge runs stops the writer there; after a restart the
    /// records after it are sent, those before it are not sent again.
    @Test func damageFoundWhileRunningIsSkippedAfterARestart() throws {
        let directory = StateDirectory()
        var sent: [String] = []
        var damagedLine = ""
        do {
            let buffer = try directory.open(memory: 64 << 10, disk: 1 << 20)
            for index in 0..<3000 { try appendMessage(buffer.intake, [line(index)]) }
            // The ring holds the first 64 KiB of lines; the last segment is read from the file later.
            let later = directory.url(directory.segments[2])
            let records = try recordRanges(later)
            let bytes = [UInt8](try Data(contentsOf: later))
            damagedLine = String(decoding: bytes[(records[10].lowerBound + 16)..<records[10].upperBound], as: UTF8.self)
            try damage(later, record: records[10])
            sent = drain(buffer.outlet, batch: 333)
            #expect(sent.count < 3000 && sent.last.map { line(sequenceNumber($0) + 1) } == damagedLine)
        }
        let reopened = try directory.open(memory: 64 << 10, disk: 1 << 20)
        #expect(reopened.recovery.checkpointProblem == nil)
        let rest = drain(reopened.outlet, batch: 333)
        #expect(sent + rest == (0..<3000).map(line).filter { $0 != damagedLine })
    }

    /// A checkpoint naming a segment that is not there once made start-up delete every segment
    /// below it; one past a record start once skipped what it pointed into.
    @Test(arguments: ["missing segment", "mid-record", "garbage"])
    func aCheckpointThatDoesNotMatchTheSegmentsDeletesNothing(kind: String) throws {
        let directory = StateDirectory()
        do {
            let buffer = try directory.open(memory: 64 << 10, disk: 1 << 20)
            for index in 0..<3000 { try appendMessage(buffer.intake, [line(index)]) }
            #expect(drain(buffer.outlet, batch: 100, limit: 100).count == 100)
        }
        let segments = directory.segments
        let checkpointURL = directory.url("checkpoint")
        let written = try #require(BufferCheckpoint(encoded: [UInt8](try Data(contentsOf: checkpointURL))))
        switch kind {
        case "missing segment":
            try Data(BufferCheckpoint(segment: 999, offset: 16).encoded).write(to: checkpointURL)
        case "mid-record":
            try Data(BufferCheckpoint(segment: written.segment, offset: written.offset + 5).encoded).write(
                to: checkpointURL
            )
        default:
            try Data("garbage".utf8).write(to: checkpointURL)
        }
        let reopened = try directory.open(memory: 64 << 10, disk: 1 << 20)
        #expect(reopened.recovery.checkpointProblem != nil)
        #expect(directory.segments.starts(with: segments), "a segment was deleted")
        // Everything is sent again from the oldest segment: the first 100 twice, none lost.
        #expect(reopened.recovery.points == 3000)
        #expect(drain(reopened.outlet, batch: 500) == (0..<3000).map(line))
    }

    /// Symbolic links (even to a valid segment), directories, ids out of range and headers that
    /// name another segment: reported, not read, not deleted; new segments are numbered above.
    @Test func entriesTheBridgeDidNotWriteAreLeftAlone() throws {
        let elsewhere = StateDirectory()
        do {
            let buffer = try elsewhere.open()
            try appendMessage(buffer.intake, [line(1)])
        }
        let outside = elsewhere.url(try #require(elsewhere.segments.first))
        let outsideBytes = try Data(contentsOf: outside)

        let directory = StateDirectory()
        do {
            let buffer = try directory.open()
            try appendMessage(buffer.intake, [line(2)])
            _ = drain(buffer.outlet)
        }
        let fileManager = FileManager.default
        let linked = SegmentFormat.fileName(id: 5)
        try fileManager.createSymbolicLink(atPath: directory.url(linked).path, withDestinationPath: outside.path)
        try fileManager.createDirectory(
            atPath: directory.url(SegmentFormat.fileName(id: 6)).path,
            withIntermediateDirectories: false
        )
        try outsideBytes.write(to: directory.url(SegmentFormat.fileName(id: 4)))  // its header names segment 1
        try Data("x".utf8).write(to: directory.url(SegmentFormat.fileName(id: 0)))
        try Data("x".utf8).write(to: directory.url(SegmentFormat.fileName(id: .max)))
        try Data("notes".utf8).write(to: directory.url("notes.txt"))
        let strangers = ["notes.txt"] + [0, 4, 5, 6, .max].map { SegmentFormat.fileName(id: $0) }

        let reopened = try directory.open()
        #expect(reopened.recovery.points == 0)
        #expect(reopened.recovery.leftAlone.map(\.name).sorted() == strangers)
        #expect(directory.files.contains(SegmentFormat.fileName(id: 7)))
        try appendMessage(reopened.intake, [line(3)])
        #expect(drain(reopened.outlet) == [line(3)])
        #expect(Set(strangers).isSubset(of: directory.files), "an entry was removed")
        #expect(try Data(contentsOf: outside) == outsideBytes)
        withExtendedLifetime(reopened) {}
    }

    /// When no `.corrupt` copy can be made (here the name is taken by a directory), the damaged
    /// segment itself is kept, after it was sent and at every later start.
    @Test func aDamagedSegmentWithoutACopyIsNeverDeleted() throws {
        let directory = StateDirectory()
        do {
            let buffer = try directory.open()
            for index in 0..<10 { try appendMessage(buffer.intake, [line(index)]) }
        }
        let name = try #require(directory.segments.last)
        try damage(directory.url(name), record: try recordRanges(directory.url(name))[3])
        try FileManager.default.createDirectory(
            atPath: directory.url(name + ".corrupt").path,
            withIntermediateDirectories: false
        )
        do {
            let reopened = try directory.open()
            #expect(reopened.recovery.copyFailures.count == 1)
            #expect(reopened.recovery.damagedSegments.first?.copied == false)
            #expect(drain(reopened.outlet) == (0..<10).filter { $0 != 3 }.map(line))
            #expect(directory.files.contains(name))
        }
        let again = try directory.open()
        #expect(again.recovery.points == 0, "a delivered segment was sent again")
        #expect(again.recovery.copyFailures.count == 1 && directory.files.contains(name))
        withExtendedLifetime(again) {}
    }

    /// Start-up asks systemd for more time from these reports: one per segment read and one per
    /// segment kept, so a long recovery reports all along.
    @Test func recoveryReportsProgressForEachSegmentItReadsAndKeeps() throws {
        let directory = StateDirectory()
        do {
            let buffer = try directory.open(memory: 64 << 10, disk: 1 << 20)
            for index in 0..<3000 { try appendMessage(buffer.intake, [line(index)]) }
        }
        let segments = directory.segments.count
        try #require(segments >= 3)
        var reports = 0
        let buffer = try PointBuffer.durable(
            configuration: BufferConfiguration(path: directory.path, maxBytes: 64 << 10, maxDiskBytes: 1 << 20),
            logger: Logger(label: "test")
        ) { reports += 1 }
        #expect(reports == 2 * segments)
        withExtendedLifetime(buffer) {}
    }
}
