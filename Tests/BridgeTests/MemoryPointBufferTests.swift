// iotflow-bridge: the in-memory buffer's waits and room accounting.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import Testing

private func append(_ buffer: MemoryPointBuffer, _ line: String, waiting: Duration = .zero) -> Bool {
    let bytes = Array(line.utf8)
    let lengths = [UInt32(bytes.count)]
    return bytes.withUnsafeBufferPointer { b in
        lengths.withUnsafeBufferPointer { buffer.append(lines: b, lineLengths: $0, waitingUpTo: waiting) }
    }
}

@Suite struct MemoryPointBufferTests {
    @Test func batchStaysUntilRemoved() {
        let buffer = MemoryPointBuffer(capacityBytes: 1024)
        #expect(append(buffer, "m v=1 1\n") && append(buffer, "m v=2 2\n"))
        var body: [UInt8] = []
        var lengths: [Int] = []
        let batch = buffer.peekBatch(maxPoints: 10, maxBytes: 1024, into: &body, lineLengths: &lengths)
        #expect(lengths == [8, 8])
        #expect(batch.points == 2 && String(decoding: body, as: UTF8.self) == "m v=1 1\nm v=2 2\n")
        #expect(buffer.occupancy.points == 2)
        buffer.removeBatch(points: batch.points, bytes: batch.bytes)
        #expect(buffer.occupancy == (0, 0))
    }

    @Test func fullBufferRefusesUntilRoomOrInterrupt() async {
        let buffer = MemoryPointBuffer(capacityBytes: 10)
        #expect(append(buffer, "m v=1 1\n"))
        #expect(!buffer.hasRoom(forBytes: 8))
        #expect(!append(buffer, "m v=2 2\n"))
        // A waiting append completes as soon as the writer removes the batch.
        async let waited = append(buffer, "m v=2 2\n", waiting: .seconds(30))
        buffer.removeBatch(points: 1, bytes: 8)
        #expect(await waited)
        buffer.interruptAppends()
        #expect(!append(buffer, "m v=3 3\n", waiting: .seconds(30)))
    }

    /// `buffer.overflow: drop_oldest`: the batch being sent leaves the ring first without counting
    /// as dropped (the writer holds it), and its later removal takes only what is left.
    @Test func dropOldestSparesTheBatchBeingSent() {
        let buffer = MemoryPointBuffer(capacityBytes: 32)
        for value in 1...4 { #expect(append(buffer, "m v=\(value) \(value)\n")) }
        #expect(!buffer.hasRoom(forBytes: 8))
        var body: [UInt8] = []
        var lengths: [Int] = []
        let sending = buffer.peekBatch(maxPoints: 2, maxBytes: 1024, into: &body, lineLengths: &lengths)
        #expect(sending == (2, 16))
        #expect(buffer.dropOldest(freeing: 16) == (0, 0) && buffer.hasRoom(forBytes: 16))
        #expect(append(buffer, "m v=5 5\n") && append(buffer, "m v=6 6\n"))
        buffer.removeBatch(points: sending.points, bytes: sending.bytes)
        #expect(buffer.occupancy == (4, 32))
        #expect(buffer.dropOldest(freeing: 8) == (1, 8))
        body.removeAll()
        lengths.removeAll()
        _ = buffer.peekBatch(maxPoints: 10, maxBytes: 1024, into: &body, lineLengths: &lengths)
        #expect(String(decoding: body, as: UTF8.self) == "m v=4 4\nm v=5 5\nm v=6 6\n")
    }

    @Test func waitForPointsReturnsWhenEnoughArriveOrInterrupted() async {
        let buffer = MemoryPointBuffer(capacityBytes: 1024)
        async let held = buffer.waitForPoints(atLeast: 2, until: .now + .seconds(30))
        _ = append(buffer, "m v=1 1\n")
        _ = append(buffer, "m v=2 2\n")
        #expect(await held == 2)
        #expect(buffer.waitForPoints(atLeast: 5, until: .now + .milliseconds(20)) == 2)
        buffer.interruptWaits()
        #expect(buffer.waitForPoints(atLeast: 5, until: .now + .seconds(30)) == 2)
    }
}
