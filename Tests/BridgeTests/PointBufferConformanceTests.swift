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
    func make(overflow: BufferConfiguration.OverflowPolicy = .pause) throws -> PointBuffer {
        switch self {
        case .memory: PointBuffer.memory(capacityBytes: 1 << 20)
        case .durable: try StateDirectory().buffer(memory: 64 << 20, disk: 1 << 20, overflow: overflow)
        }
    }
}

/// Both halves of a buffer, taken by the test's thread, for cases that need no second thread.
struct Halves {
    let handle: any PointBufferHandle
    let intake: any PointBufferIntake
    let outlet: any PointBufferOutlet
    private let foundAtStart: DurablePointBuffer.Recovery?

    init(_ buffer: PointBuffer) {
        handle = buffer.handle
        intake = buffer.intake.take()!
        outlet = buffer.outlet.take()!
        foundAtStart = buffer.recovery
    }

    /// What the durable buffer's start-up found (a memory buffer has none: traps).
    var recovery: DurablePointBuffer.Recovery { foundAtStart! }
}

/// Appends one message of `lines` (one point each), as the MQTT thread does, and returns
/// whether the buffer took it.
func append(_ intake: any PointBufferIntake, _ lines: [String], waiting: Duration = .zero) -> Bool {
    let bytes = Array(lines.joined().utf8)
    let lengths = lines.map { UInt32($0.utf8.count) }
    return bytes.withUnsafeBufferPointer { b in
        lengths.withUnsafeBufferPointer { intake.append(lines: b, lineLengths: $0, waitingUpTo: waiting) }
    }
}

/// Appends one message of `lines` (one point each) and commits it, as the MQTT thread does.
func appendMessage(_ intake: any PointBufferIntake, _ lines: [String], commit: Bool = true) throws {
    #expect(append(intake, lines))
    if commit { try intake.commit() }
}

/// The next batch of at most `points` points and `bytes` bytes, left in the buffer.
func peek(_ outlet: any PointBufferOutlet, points: Int, bytes: Int = 1 << 20) -> (lines: [String], bytes: Int) {
    var body: [UInt8] = []
    var lengths: [Int] = []
    let taken = outlet.peekBatch(maxPoints: points, maxBytes: bytes, into: &body, lineLengths: &lengths)
    #expect(lengths.count == taken.points && body.count == taken.bytes && lengths.reduce(0, +) == taken.bytes)
    return (String(decoding: body, as: UTF8.self).split(separator: "\n").map { "\($0)\n" }, taken.bytes)
}

/// Reads and removes batches of at most `batch` points until the buffer is empty or `limit`
/// points were read.
func drain(_ outlet: any PointBufferOutlet, batch: Int = 1000, limit: Int = .max) -> [String] {
    var all: [String] = []
    while all.count < limit {
        let (lines, bytes) = peek(outlet, points: min(batch, limit - all.count))
        guard !lines.isEmpty else { break }
        all += lines
        outlet.removeBatch(points: lines.count, bytes: bytes)
    }
    return all
}

func line(_ index: Int) -> String {
    "m,device_id=d\(index % 7) seq=\(index) \(1_700_000_000_000_000_000 + index)\n"
}

/// Appends committed messages of 40 points until `intake` has no room for `bytes` more bytes,
/// and returns the points appended. Bounded: 1 MiB holds fewer than 1,000 such messages.
private func fill(_ intake: any PointBufferIntake, leavingLessThan bytes: Int) throws -> Int {
    var messages = 0
    while intake.hasRoom(forBytes: bytes) && messages < 1000 {
        try appendMessage(intake, (0..<40).map { line(messages * 40 + $0) })
        messages += 1
    }
    #expect(!intake.hasRoom(forBytes: bytes))
    return messages * 40
}

/// Runs `body` with `intake` on a thread of its own and returns both, so that a blocking wait
/// does not hold one of the few threads of the cooperative pool the other tests run on. The
/// half is handed over and back, so only one thread has it at a time.
func onThread<Result: Sendable>(
    _ intake: sending any PointBufferIntake,
    _ body: @escaping @Sendable (any PointBufferIntake) -> Result
) async -> sending (any PointBufferIntake, Result) {
    let handOff = HandOff(intake)
    return await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            let intake = handOff.take()!
            let result = body(intake)
            continuation.resume(returning: (intake, result))
        }
    }
}

/// `onThread` for the writer's half.
func onThread<Result: Sendable>(
    _ outlet: sending any PointBufferOutlet,
    _ body: @escaping @Sendable (any PointBufferOutlet) -> Result
) async -> sending (any PointBufferOutlet, Result) {
    let handOff = HandOff(outlet)
    return await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            let outlet = handOff.take()!
            let result = body(outlet)
            continuation.resume(returning: (outlet, result))
        }
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
        let buffer = Halves(try kind.make())
        try appendMessage(buffer.intake, [line(0)])
        try appendMessage(buffer.intake, [line(1), line(2)])
        try appendMessage(buffer.intake, [line(3)])
        #expect(peek(buffer.outlet, points: 2).lines == [line(0), line(1)])
        #expect(
            peek(buffer.outlet, points: 10, bytes: line(0).utf8.count + line(1).utf8.count).lines == [line(0), line(1)]
        )
        #expect(peek(buffer.outlet, points: 10, bytes: line(0).utf8.count + 1).lines == [line(0)])
        #expect(peek(buffer.outlet, points: 10, bytes: 1).lines == [line(0)], "an oversized point goes alone")
        #expect(buffer.handle.occupancy.points == 4, "peeking removes nothing")
        let first = peek(buffer.outlet, points: 3)
        buffer.outlet.removeBatch(points: first.lines.count, bytes: first.bytes)
        #expect(peek(buffer.outlet, points: 10).lines == [line(3)])
        #expect(drain(buffer.outlet) == [line(3)] && buffer.handle.occupancy == (0, 0))
        #expect(peek(buffer.outlet, points: 10).lines.isEmpty)
    }

    /// The writer sees only what the MQTT thread committed, and all of it once committed.
    @Test(arguments: BufferKind.allCases)
    func appendsReachTheWriterAtTheCommit(kind: BufferKind) throws {
        let buffer = Halves(try kind.make())
        try appendMessage(buffer.intake, [line(0)])
        try appendMessage(buffer.intake, [line(1), line(2)], commit: false)
        try appendMessage(buffer.intake, [line(3)], commit: false)
        #expect(buffer.handle.occupancy == (1, line(0).utf8.count) && buffer.intake.occupancy.points == 1)
        #expect(buffer.outlet.waitForPoints(atLeast: 2, until: .now) == 1)
        #expect(peek(buffer.outlet, points: 10).lines == [line(0)])
        try buffer.intake.commit()
        #expect(buffer.outlet.occupancy.points == 4)
        #expect(drain(buffer.outlet) == (0..<4).map(line))
    }

    @Test(arguments: BufferKind.allCases)
    func aMessageIsTakenWholeOrNotAtAll(kind: BufferKind) throws {
        let buffer = Halves(try kind.make())
        // 30,000 points, about 1.3 MB: more than the buffer can ever hold.
        let tookTooMuch = append(buffer.intake, (0..<30_000).map(line))
        #expect(!tookTooMuch)
        try buffer.intake.commit()
        #expect(buffer.handle.occupancy == (0, 0) && peek(buffer.outlet, points: 10).lines.isEmpty)
        try appendMessage(buffer.intake, (0..<100).map(line))
        #expect(buffer.handle.occupancy.points == 100)
        #expect(drain(buffer.outlet, batch: 30) == (0..<100).map(line))
    }

    @Test(arguments: BufferKind.allCases)
    func occupancyAndRoomFollowAppendsAndRemovals(kind: BufferKind) throws {
        let buffer = Halves(try kind.make())
        #expect(buffer.handle.occupancy == (0, 0) && buffer.intake.hasRoom(forBytes: 4096))
        #expect(!buffer.intake.hasRoom(forBytes: buffer.handle.capacityBytes + 1))
        let appended = try fill(buffer.intake, leavingLessThan: 4096)
        let lines = (0..<appended).map(line)
        #expect(buffer.handle.occupancy == (appended, lines.joined().utf8.count))
        #expect(drain(buffer.outlet, batch: 500) == lines)
        #expect(buffer.handle.occupancy == (0, 0) && buffer.intake.hasRoom(forBytes: 4096))
    }

    @Test(arguments: BufferKind.allCases)
    func waitForPointsReturnsWhenEnoughArriveOrAtTheDeadline(kind: BufferKind) async throws {
        let buffer = try kind.make()
        let intake = buffer.intake.take()!
        let outlet = buffer.outlet.take()!
        let deadline = ContinuousClock.now + .seconds(30)
        async let waited = onThread(outlet) { outlet in
            let held = outlet.waitForPoints(atLeast: 2, until: deadline)
            let endedEarly = ContinuousClock.now < deadline
            return (held, endedEarly)
        }
        try await letTheWaitBegin()
        try appendMessage(intake, [line(0)])
        try appendMessage(intake, [line(1)])
        let (writer, (held, endedEarly)) = await waited
        #expect(held == 2)
        #expect(endedEarly, "the wait ended when the points arrived")
        #expect(writer.waitForPoints(atLeast: 5, until: .now + .milliseconds(20)) == 2)
        #expect(writer.waitForPoints(atLeast: 1, until: .now - .seconds(1)) == 2, "a passed deadline still counts")
    }

    @Test(arguments: BufferKind.allCases)
    func interruptWaitsEndsTheWaitNowAndFromNowOn(kind: BufferKind) async throws {
        let buffer = try kind.make()
        let intake = buffer.intake.take()!
        let outlet = buffer.outlet.take()!
        try appendMessage(intake, [line(0)])
        let deadline = ContinuousClock.now + .seconds(30)
        // The second wait starts after the first has ended, so after the interrupt.
        async let waited = onThread(outlet) {
            ($0.waitForPoints(atLeast: 5, until: deadline), $0.waitForPoints(atLeast: 5, until: deadline))
        }
        try await letTheWaitBegin()
        buffer.handle.interruptWaits()
        let (_, (held, heldAgain)) = await waited
        #expect(held == 1)
        #expect(heldAgain == 1)
        #expect(ContinuousClock.now < deadline, "both waits ended when interrupted")
    }

    /// The memory buffer waits for room and gives up when interrupted; the durable one never
    /// waits. Either way the append returns, and the buffer holds the message only if it said so.
    @Test(arguments: BufferKind.allCases)
    func interruptAppendsEndsEveryWaitForRoomAndLetsWhatFitsIn(kind: BufferKind) async throws {
        let buffer = try kind.make()
        let intake = buffer.intake.take()!
        let outlet = buffer.outlet.take()!
        let message = (0..<40).map { line(100_000 + $0) }
        let held = try fill(intake, leavingLessThan: message.joined().utf8.count)
        let deadline = ContinuousClock.now + .seconds(30)
        // The second append starts after the first has ended, so after the interrupt.
        async let appending = onThread(intake) {
            (append($0, message, waiting: .seconds(30)), append($0, message, waiting: .seconds(30)))
        }
        try await letTheWaitBegin()
        buffer.handle.interruptAppends()
        let (again, (first, second)) = await appending
        #expect(ContinuousClock.now < deadline, "both appends ended when interrupted")
        try again.commit()
        #expect(buffer.handle.occupancy.points == held + (first ? 40 : 0) + (second ? 40 : 0))
        _ = drain(outlet)
        try appendMessage(again, [line(0)])
        #expect(drain(outlet) == [line(0)])
    }

    /// A full buffer while the writer sends its first batch: making room never loses that batch
    /// or counts it as dropped; what goes is one run of the oldest points after it.
    @Test(arguments: BufferKind.allCases)
    func dropOldestSparesTheBatchBeingSent(kind: BufferKind) throws {
        let buffer = Halves(try kind.make(overflow: .dropOldest))
        let appended = try fill(buffer.intake, leavingLessThan: 4096)
        let sending = peek(buffer.outlet, points: 1000)
        #expect(sending.lines == (0..<1000).map(line))
        let dropped = buffer.intake.dropOldest(freeing: 128 << 10)
        #expect(dropped.points > 0 && buffer.intake.hasRoom(forBytes: 128 << 10))
        try appendMessage(buffer.intake, [line(appended)])
        buffer.outlet.removeBatch(points: sending.lines.count, bytes: sending.bytes)
        #expect(buffer.handle.occupancy.points == appended + 1 - 1000 - dropped.points)
        let left = drain(buffer.outlet)
        let all = (1000...appended).map(line)
        let kept = Set(left)
        let firstDropped = try #require(all.firstIndex { !kept.contains($0) })
        #expect(Array(all[..<firstDropped]) + all[(firstDropped + dropped.points)...] == left)
    }
}
