// iotflow-bridge: the durable buffer against real files: restarts, spills, drops, torn records.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import Foundation
import Logging
import Testing

/// A state directory of its own, and buffers opened on it as a restarted bridge would.
struct StateDirectory {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("iotflow-durable-\(UUID().uuidString)")
        .path

    /// The buffer's halves, taken by the test's thread.
    func open(
        memory: Int = 1 << 20,
        disk: Int = 64 << 20,
        fsync: BufferConfiguration.FsyncPolicy = .off,
        overflow: BufferConfiguration.OverflowPolicy = .pause
    )
        throws -> Halves
    {
        Halves(try buffer(memory: memory, disk: disk, fsync: fsync, overflow: overflow))
    }

    func buffer(
        memory: Int = 1 << 20,
        disk: Int = 64 << 20,
        fsync: BufferConfiguration.FsyncPolicy = .off,
        overflow: BufferConfiguration.OverflowPolicy = .pause
    )
        throws -> PointBuffer
    {
        try PointBuffer.durable(
            configuration: BufferConfiguration(
                path: path,
                maxBytes: memory,
                maxDiskBytes: disk,
                fsync: fsync,
                overflow: overflow
            ),
            logger: Logger(label: "test")
        )
    }

    var files: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
    var segments: [String] { files.filter { $0.hasSuffix(".log") } }
    func url(_ name: String) -> URL { URL(fileURLWithPath: path).appendingPathComponent(name) }
}

@Suite struct DurablePointBufferTests {
    @Test func whatWasNotRemovedComesBackAfterARestartAndNothingElse() throws {
        let directory = StateDirectory()
        do {
            let buffer = try directory.open(fsync: .burst)
            for message in 0..<100 {
                try appendMessage(buffer.intake, [line(3 * message), line(3 * message + 1), line(3 * message + 2)])
            }
            #expect(buffer.handle.occupancy.points == 300)
            // 250 points: the checkpoint falls inside a record (83 records and one point).
            #expect(drain(buffer.outlet, batch: 50, limit: 250).count == 250)
        }
        let reopened = try directory.open()
        #expect(reopened.recovery.points == 50 && reopened.recovery.tornBytes == 0)
        #expect(drain(reopened.outlet) == (250..<300).map(line))
        #expect(reopened.handle.occupancy == (0, 0))
    }

    @Test func uncommittedAppendsAreNotVisibleAndNotRecovered() throws {
        let directory = StateDirectory()
        do {
            let buffer = try directory.open()
            try appendMessage(buffer.intake, [line(1)])
            try appendMessage(buffer.intake, [line(2)], commit: false)
            #expect(buffer.handle.occupancy.points == 1)
            #expect(peek(buffer.outlet, points: 10).lines == [line(1)])
        }
        #expect(drain(try directory.open().outlet) == [line(1)])
    }

    @Test func aSpilledBufferReadsBackInOrderAcrossSegmentsAndDeletesThem() throws {
        let directory = StateDirectory()
        // 64 KiB in memory, segments of 256 KiB: 20,000 points (~1.1 MB) spill to disk.
        let buffer = try directory.open(memory: 64 << 10, disk: 4 << 20)
        for index in 0..<20_000 { try appendMessage(buffer.intake, [line(index)]) }
        #expect(directory.segments.count >= 4)
        #expect(buffer.handle.occupancy.points == 20_000)
        #expect(drain(buffer.outlet, batch: 700) == (0..<20_000).map(line))
        #expect(directory.segments.count == 1, "only the segment being appended to remains: \(directory.segments)")
        // Appends after the spill go to memory again.
        try appendMessage(buffer.intake, [line(20_000)])
        #expect(drain(buffer.outlet) == [line(20_000)])
    }

    @Test func aSpilledBacklogSurvivesARestart() throws {
        let directory = StateDirectory()
        do {
            let buffer = try directory.open(memory: 64 << 10, disk: 4 << 20)
            for index in 0..<5_000 { try appendMessage(buffer.intake, [line(index)]) }
            #expect(drain(buffer.outlet, batch: 1000, limit: 2000).count == 2000)
        }
        let reopened = try directory.open(memory: 64 << 10, disk: 4 << 20)
        #expect(reopened.recovery.points == 3000)
        #expect(drain(reopened.outlet, batch: 333) == (2000..<5000).map(line))
    }

    /// A full 1 MiB budget (64 KiB segments, a 512 KiB window) while the writer sends its first
    /// batch: the oldest segments the writer has not read go, the batch and everything after the
    /// dropped segments stay, in order, and a restart finds the same.
    @Test func dropOldestDeletesTheOldestSegmentsNotBeingRead() throws {
        let directory = StateDirectory()
        var appended = 0
        var dropped = (points: 0, bytes: 0)
        var held = 0
        do {
            let buffer = try directory.open(memory: 64 << 20, disk: 1 << 20, overflow: .dropOldest)
            while buffer.intake.hasRoom(forBytes: 4096) {
                try appendMessage(buffer.intake, (0..<40).map { line(appended * 40 + $0) })
                appended += 1
            }
            let sending = peek(buffer.outlet, points: 1000).lines
            #expect(sending == (0..<1000).map(line))
            let segmentsBefore = directory.segments.count
            dropped = buffer.intake.dropOldest(freeing: 4096)
            #expect(dropped.points > 0 && dropped.points % 40 == 0 && buffer.intake.hasRoom(forBytes: 4096))
            #expect(directory.segments.count < segmentsBefore)
            #expect(buffer.handle.occupancy.points == appended * 40 - dropped.points)
            // Appends go on after the drop.
            try appendMessage(buffer.intake, [line(appended * 40)])
            buffer.outlet.removeBatch(points: sending.count, bytes: sending.joined().utf8.count)
            held = buffer.handle.occupancy.points
        }
        let reopened = try directory.open(memory: 64 << 20, disk: 1 << 20, overflow: .dropOldest)
        #expect(reopened.recovery.points == held)
        let left = drain(reopened.outlet)
        #expect(left.count == held && held == appended * 40 + 1 - 1000 - dropped.points)
        #expect(left.first == line(1000) && left.last == line(appended * 40))
        // The dropped points are one run: the oldest the writer had not read.
        let all = (1000...(appended * 40)).map(line)
        let kept = Set(left)
        let firstDropped = try #require(all.firstIndex { !kept.contains($0) })
        #expect(Array(all[..<firstDropped]) + all[(firstDropped + dropped.points)...] == left)
    }

    @Test func theDiskBudgetLimitsRoom() throws {
        let directory = StateDirectory()
        let buffer = try directory.open(memory: 1 << 20, disk: 1 << 20)
        var appended = 0
        while buffer.intake.hasRoom(forBytes: 4096) {
            try appendMessage(buffer.intake, (0..<40).map { line(appended * 40 + $0) })
            appended += 1
        }
        let used = directory.segments.reduce(0) { total, name in
            total + ((try? FileManager.default.attributesOfItem(atPath: directory.url(name).path)[.size] as? Int) ?? 0)
        }
        #expect(used <= 1 << 20 && used > (1 << 20) - 16384)
        _ = drain(buffer.outlet)
        #expect(buffer.intake.hasRoom(forBytes: 4096))
    }

    @Test func aTornLastRecordIsCutOffAndTheRestKept() throws {
        let directory = StateDirectory()
        do {
            let buffer = try directory.open()
            for index in 0..<10 { try appendMessage(buffer.intake, [line(index)]) }
        }
        let segment = directory.url(directory.segments.last!)
        let handle = try FileHandle(forWritingTo: segment)
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 7)
        try handle.close()
        do {
            let reopened = try directory.open()
            #expect(reopened.recovery.tornBytes == line(9).utf8.count + 16 - 7)
            #expect(peek(reopened.outlet, points: 100).lines == (0..<9).map(line))
        }
        // The cut is made once: a second restart finds nothing torn, and the same points.
        let again = try directory.open()
        #expect(again.recovery.tornBytes == 0 && again.recovery.points == 9)
    }

    @Test func aSecondBridgeCannotOpenTheSameDirectory() throws {
        let directory = StateDirectory()
        let first = try directory.open()
        #expect(throws: BridgeError.self) { try directory.open() }
        withExtendedLifetime(first) {}
    }

    @Test func anUnusableStateDirectoryIsAClearError() {
        let error = #expect(throws: BridgeError.self) {
            try PointBuffer.durable(
                configuration: BufferConfiguration(path: "/proc/iotflow-bridge-test/buffer"),
                logger: Logger(label: "test")
            )
        }
        #expect(
            error?.description.hasPrefix("cannot create the state directory /proc/iotflow-bridge-test/buffer") == true
        )
    }
}
