// iotflow-bridge: what only the memory buffer does: appends wait for room, a drop takes the batch first.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import Testing

@Suite struct MemoryPointBufferTests {
    @Test func fullBufferRefusesUntilRoomOrInterrupt() async throws {
        let buffer = PointBuffer.memory(capacityBytes: 10)
        let intake = buffer.intake.take()!
        let outlet = buffer.outlet.take()!
        try appendMessage(intake, ["m v=1 1\n"])
        #expect(!intake.hasRoom(forBytes: 8))
        #expect(!append(intake, ["m v=2 2\n"]))
        // A waiting append completes as soon as the writer removes the batch.
        async let waiting = onThread(intake) { append($0, ["m v=2 2\n"], waiting: .seconds(30)) }
        outlet.removeBatch(points: 1, bytes: 8)
        let (mqtt, waited) = await waiting
        #expect(waited)
        buffer.handle.interruptAppends()
        #expect(!append(mqtt, ["m v=3 3\n"], waiting: .seconds(30)))
    }

    /// `buffer.overflow: drop_oldest`: the batch being sent leaves the ring first without counting
    /// as dropped (the writer holds it), and its later removal takes only what is left.
    @Test func dropOldestSparesTheBatchBeingSent() throws {
        let buffer = Halves(PointBuffer.memory(capacityBytes: 32))
        for value in 1...4 { try appendMessage(buffer.intake, ["m v=\(value) \(value)\n"]) }
        #expect(!buffer.intake.hasRoom(forBytes: 8))
        var body: [UInt8] = []
        var lengths: [Int] = []
        let sending = buffer.outlet.peekBatch(maxPoints: 2, maxBytes: 1024, into: &body, lineLengths: &lengths)
        #expect(sending == (2, 16))
        #expect(buffer.intake.dropOldest(freeing: 16) == (0, 0) && buffer.intake.hasRoom(forBytes: 16))
        #expect(append(buffer.intake, ["m v=5 5\n"]) && append(buffer.intake, ["m v=6 6\n"]))
        try buffer.intake.commit()
        buffer.outlet.removeBatch(points: sending.points, bytes: sending.bytes)
        #expect(buffer.handle.occupancy == (4, 32))
        #expect(buffer.intake.dropOldest(freeing: 8) == (1, 8))
        body.removeAll()
        lengths.removeAll()
        _ = buffer.outlet.peekBatch(maxPoints: 10, maxBytes: 1024, into: &body, lineLengths: &lengths)
        #expect(String(decoding: body, as: UTF8.self) == "m v=4 4\nm v=5 5\nm v=6 6\n")
    }
}
