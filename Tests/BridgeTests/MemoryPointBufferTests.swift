// iotflow-bridge: what only the memory buffer does: appends wait for room, a drop takes the batch first.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import Testing

@Suite struct MemoryPointBufferTests {
    @Test func fullBufferRefusesUntilRoomOrInterrupt() async {
        let buffer = MemoryPointBuffer(capacityBytes: 10)
        #expect(append(buffer, ["m v=1 1\n"]))
        #expect(!buffer.hasRoom(forBytes: 8))
        #expect(!append(buffer, ["m v=2 2\n"]))
        // A waiting append completes as soon as the writer removes the batch.
        async let waited = append(buffer, ["m v=2 2\n"], waiting: .seconds(30))
        buffer.removeBatch(points: 1, bytes: 8)
        #expect(await waited)
        buffer.interruptAppends()
        #expect(!append(buffer, ["m v=3 3\n"], waiting: .seconds(30)))
    }

    /// `buffer.overflow: drop_oldest`: the batch being sent leaves the ring first without counting
    /// as dropped (the writer holds it), and its later removal takes only what is left.
    @Test func dropOldestSparesTheBatchBeingSent() {
        let buffer = MemoryPointBuffer(capacityBytes: 32)
        for value in 1...4 { #expect(append(buffer, ["m v=\(value) \(value)\n"])) }
        #expect(!buffer.hasRoom(forBytes: 8))
        var body: [UInt8] = []
        var lengths: [Int] = []
        let sending = buffer.peekBatch(maxPoints: 2, maxBytes: 1024, into: &body, lineLengths: &lengths)
        #expect(sending == (2, 16))
        #expect(buffer.dropOldest(freeing: 16) == (0, 0) && buffer.hasRoom(forBytes: 16))
        #expect(append(buffer, ["m v=5 5\n"]) && append(buffer, ["m v=6 6\n"]))
        buffer.removeBatch(points: sending.points, bytes: sending.bytes)
        #expect(buffer.occupancy == (4, 32))
        #expect(buffer.dropOldest(freeing: 8) == (1, 8))
        body.removeAll()
        lengths.removeAll()
        _ = buffer.peekBatch(maxPoints: 10, maxBytes: 1024, into: &body, lineLengths: &lengths)
        #expect(String(decoding: body, as: UTF8.self) == "m v=4 4\nm v=5 5\nm v=6 6\n")
    }
}
