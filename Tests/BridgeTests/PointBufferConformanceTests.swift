// iotflow-bridge: the PointBuffer contract, the same cases over the memory and the durable buffer.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import Foundation
import Testing

/// The buffers every conformance case runs over, built with the same 1 MiB budget.
enum BufferKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case durable

    var testDescription: String { rawValue }

    /// A new, empty buffer; the durable one in a state directory of its own. `overflow` is the
    /// durable buffer's to know (it keeps a smaller window then); the memory buffer drops on
    /// request either way.
    func make(overflow: BufferConfiguration.OverflowPolicy = .pause) throws -> any PointBuffer {
        switch self {
        case .memory: MemoryPointBuffer(capacityBytes: 1 << 20)
        case .durable: try StateDirectory().open(memory: 64 << 20, disk: 1 << 20, overflow: overflow)
        }
    }
}

/// Appends one message of `lines` (one point each), as the MQTT thread does, and returns
/// whether the buffer took it.
func append(_ buffer: any PointBuffer, _ lines: [String], waiting: Duration = .zero) -> Bool {
    let bytes = Array(lines.joined().utf8)
    let lengths = lines.map { UInt32($0.utf8.count) }
    return bytes.withUnsafeBufferPointer { b in
        lengths.withUnsafeBufferPointer { buffer.append(lines: b, lineLengths: $0, waitingUpTo: waiting) }
    }
}

/// Appends one message of `lines` (one point each) and commits it, as the MQTT thread does.
func appendMessage(_ buffer: any PointBuffer, _ lines: [String], commit: Bool = true) throws {
    #expect(append(buffer, lines))
    if commit { try buffer.commit() }
}

/// The next batch of at most `points` points and `bytes` bytes, left in the buffer.
func peek(_ buffer: any PointBuffer, points: Int, bytes: Int = 1 << 20) -> (lines: [String], bytes: Int) {
    var body: [UInt8] = []
    var lengths: [Int] = []
    let taken = buffer.peekBatch(maxPoints: points, maxBytes: bytes, into: &body, lineLengths: &lengths)
    #expect(lengths.count == taken.points && body.count == taken.bytes && lengths.reduce(0, +) == taken.bytes)
    return (String(decoding: body, as: UTF8.self).split(separator: "\n").map { "\($0)\n" }, taken.bytes)
}

/// Reads and removes batches of at most `batch` points until the buffer is empty or `limit`
/// points were read.
func drain(_ buffer: any PointBuffer, batch: Int = 1000, limit: Int = .max) -> [String] {
    var all: [String] = []
    while all.count < limit {
        let (lines, bytes) = peek(buffer, points: min(batch, limit - all.count))
        guard !lines.isEmpty else { break }
        all += lines
        buffer.removeBatch(points: lines.count, bytes: bytes)
    }
    return all
}

func line(_ index: Int) -> String {
    "m,device_id=d\(index % 7) seq=\(index) \(1_700_000_000_000_000_000 + index)\n"
}

/// Appends committed messages of 40 points until `buffer` has no room for `bytes` more bytes,
/// and returns the points appended. Bounded: 1 MiB holds fewer than 1,000 such messages.
private func fill(_ buffer: any PointBuffer, leavingLessThan bytes: Int) throws -> Int {
    var messages = 0
    while buffer.hasRoom(forBytes: bytes) && messages < 1000 {
        try appendMessage(buffer, (0..<40).map { line(messages * 40 + $0) })
        messages += 1
    }
    #expect(!buffer.hasRoom(forBytes: bytes))
    return messages * 40
}

/// Runs `body` on a thread of its own and returns its result, so that a blocking wait does not
/// hold one of the few threads of the cooperative pool the other tests run on.
private func onThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}

/// Lets a wait just started on another thread begin before the test ends it. Only the failure of
/// a broken buffer depends on this: a wait that starts late returns at once, which passes too.
private func letTheWaitBegin() async throws {
    try await Task.sleep(for: .milliseconds(50))
}

// Waits that should end early have a deadline 30 seconds out; ending at the deadline fails the
// case. Every wait is bounded by its deadline.
@Suite struct PointBufferConformanceTests {
    @Test(arguments: BufferKind.allCases)
    func committedPointsComeBackInOrderAndStayUntilRemoved(kind: BufferKind) throws {
        let buffer = try kind.make()
        try appendMessage(buffer, [line(0)])
        try appendMessage(buffer, [line(1), line(2)])
        try appendMessage(buffer, [line(3)])
        #expect(peek(buffer, points: 2).lines == [line(0), line(1)])
        #expect(peek(buffer, points: 10, bytes: line(0).utf8.count + line(1).utf8.count).lines == [line(0), line(1)])
        #expect(peek(buffer, points: 10, bytes: line(0).utf8.count + 1).lines == [line(0)])
        #expect(peek(buffer, points: 10, bytes: 1).lines == [line(0)], "an oversized point goes alone")
        #expect(buffer.occupancy.points == 4, "peeking removes nothing")
        let first = peek(buffer, points: 3)
        buffer.removeBatch(points: first.lines.count, bytes: first.bytes)
        #expect(peek(buffer, points: 10).lines == [line(3)])
        #expect(drain(buffer) == [line(3)] && buffer.occupancy == (0, 0))
        #expect(peek(buffer, points: 10).lines.isEmpty)
    }

    @Test(arguments: BufferKind.allCases)
    func aMessageIsTakenWholeOrNotAtAll(kind: BufferKind) throws {
        let buffer = try kind.make()
        // 30,000 points, about 1.3 MB: more than the buffer can ever hold.
        let tookTooMuch = append(buffer, (0..<30_000).map(line))
        #expect(!tookTooMuch)
        try buffer.commit()
        #expect(buffer.occupancy == (0, 0) && peek(buffer, points: 10).lines.isEmpty)
        try appendMessage(buffer, (0..<100).map(line))
        #expect(buffer.occupancy.points == 100)
        #expect(drain(buffer, batch: 30) == (0..<100).map(line))
    }

    @Test(arguments: BufferKind.allCases)
    func occupancyAndRoomFollowAppendsAndRemovals(kind: BufferKind) throws {
        let buffer = try kind.make()
        #expect(buffer.occupancy == (0, 0) && buffer.hasRoom(forBytes: 4096))
        #expect(!buffer.hasRoom(forBytes: buffer.capacityBytes + 1))
        let appended = try fill(buffer, leavingLessThan: 4096)
        let lines = (0..<appended).map(line)
        #expect(buffer.occupancy == (appended, lines.joined().utf8.count))
        #expect(drain(buffer, batch: 500) == lines)
        #expect(buffer.occupancy == (0, 0) && buffer.hasRoom(forBytes: 4096))
    }

    @Test(arguments: BufferKind.allCases)
    func waitForPointsReturnsWhenEnoughArriveOrAtTheDeadline(kind: BufferKind) async throws {
        let buffer = try kind.make()
        let deadline = ContinuousClock.now + .seconds(30)
        async let held = onThread { buffer.waitForPoints(atLeast: 2, until: deadline) }
        try await letTheWaitBegin()
        try appendMessage(buffer, [line(0)])
        try appendMessage(buffer, [line(1)])
        #expect(await held == 2)
        #expect(ContinuousClock.now < deadline, "the wait ended when the points arrived")
        #expect(buffer.waitForPoints(atLeast: 5, until: .now + .milliseconds(20)) == 2)
        #expect(buffer.waitForPoints(atLeast: 1, until: .now - .seconds(1)) == 2, "a passed deadline still counts")
    }

    @Test(arguments: BufferKind.allCases)
    func interruptWaitsEndsTheWaitNowAndFromNowOn(kind: BufferKind) async throws {
        let buffer = try kind.make()
        try appendMessage(buffer, [line(0)])
        let deadline = ContinuousClock.now + .seconds(30)
        async let held = onThread { buffer.waitForPoints(atLeast: 5, until: deadline) }
        try await letTheWaitBegin()
        buffer.interruptWaits()
        #expect(await held == 1)
        #expect(await onThread { buffer.waitForPoints(atLeast: 5, until: deadline) } == 1)
        #expect(ContinuousClock.now < deadline, "both waits ended when interrupted")
    }

    /// The memory buffer waits for room and gives up when interrupted; the durable one never
    /// waits. Either way the append returns, and the buffer holds the message only if it said so.
    @Test(arguments: BufferKind.allCases)
    func interruptAppendsEndsEveryWaitForRoomAndLetsWhatFitsIn(kind: BufferKind) async throws {
        let buffer = try kind.make()
        let message = (0..<40).map { line(100_000 + $0) }
        let held = try fill(buffer, leavingLessThan: message.joined().utf8.count)
        let deadline = ContinuousClock.now + .seconds(30)
        async let tookFirst = onThread { append(buffer, message, waiting: .seconds(30)) }
        try await letTheWaitBegin()
        buffer.interruptAppends()
        let first = await tookFirst
        let second = await onThread { append(buffer, message, waiting: .seconds(30)) }
        #expect(ContinuousClock.now < deadline, "both appends ended when interrupted")
        try buffer.commit()
        #expect(buffer.occupancy.points == held + (first ? 40 : 0) + (second ? 40 : 0))
        _ = drain(buffer)
        try appendMessage(buffer, [line(0)])
        #expect(drain(buffer) == [line(0)])
    }

    /// A full buffer while the writer sends its first batch: making room never loses that batch
    /// or counts it as dropped; what goes is one run of the oldest points after it.
    @Test(arguments: BufferKind.allCases)
    func dropOldestSparesTheBatchBeingSent(kind: BufferKind) throws {
        let buffer = try kind.make(overflow: .dropOldest)
        let appended = try fill(buffer, leavingLessThan: 4096)
        let sending = peek(buffer, points: 1000)
        #expect(sending.lines == (0..<1000).map(line))
        let dropped = buffer.dropOldest(freeing: 128 << 10)
        #expect(dropped.points > 0 && buffer.hasRoom(forBytes: 128 << 10))
        try appendMessage(buffer, [line(appended)])
        buffer.removeBatch(points: sending.lines.count, bytes: sending.bytes)
        #expect(buffer.occupancy.points == appended + 1 - 1000 - dropped.points)
        let left = drain(buffer)
        let all = (1000...appended).map(line)
        let kept = Set(left)
        let firstDropped = try #require(all.firstIndex { !kept.contains($0) })
        #expect(Array(all[..<firstDropped]) + all[(firstDropped + dropped.points)...] == left)
    }
}
