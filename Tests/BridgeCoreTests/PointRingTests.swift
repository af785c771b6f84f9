// iotflow-bridge: the ring of encoded points: batches from the front, room, wrap-around.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct PointRingTests {
    private func append(_ ring: inout PointRing, _ lines: [String]) -> Bool {
        let bytes = Array(lines.joined().utf8)
        let lengths = lines.map { UInt32($0.utf8.count) }
        return bytes.withUnsafeBufferPointer { b in
            lengths.withUnsafeBufferPointer { ring.append(lines: b, lineLengths: $0) }
        }
    }

    private func front(_ ring: PointRing, maxPoints: Int, maxBytes: Int) -> String {
        var output: [UInt8] = []
        var lengths: [Int] = []
        let batch = ring.copyFrontBatch(maxPoints: maxPoints, maxBytes: maxBytes, into: &output, lineLengths: &lengths)
        #expect(lengths.count == batch.points && lengths.reduce(0, +) == batch.bytes && output.count == batch.bytes)
        return String(decoding: output, as: UTF8.self)
    }

    @Test func batchesComeFromTheFrontInOrderAndStayUntilRemoved() {
        var ring = PointRing(capacityBytes: 64)
        #expect(append(&ring, ["a 1\n", "bb 2\n"]))
        #expect(append(&ring, ["ccc 3\n"]))
        #expect(front(ring, maxPoints: 2, maxBytes: 100) == "a 1\nbb 2\n")
        #expect(front(ring, maxPoints: 10, maxBytes: 9) == "a 1\nbb 2\n")
        #expect(front(ring, maxPoints: 10, maxBytes: 8) == "a 1\n")
        #expect(ring.pointCount == 3 && ring.byteCount == 15)
        ring.removeFront(points: 2, bytes: 9)
        #expect(front(ring, maxPoints: 10, maxBytes: 1) == "ccc 3\n")  // an oversized point goes alone
    }

    @Test func frontTimestampIsTheOldestLinesTrailingNanoseconds() {
        var ring = PointRing(capacityBytes: 40)
        #expect(ring.frontTimestamp == nil)
        #expect(append(&ring, ["m v=1 1735732800000000000\n", "n v=2 7\n"]))
        #expect(ring.frontTimestamp == 1_735_732_800_000_000_000)
        ring.removeFront(points: 1, bytes: 26)
        #expect(ring.frontTimestamp == 7)
        // Appended after the front moved on (the storage may wrap), negative times included.
        #expect(append(&ring, ["o v=3 -12\n", "p v=4 123456\n"]))
        ring.removeFront(points: 1, bytes: 8)
        #expect(ring.frontTimestamp == -12)
        ring.removeFront(points: 1, bytes: 10)
        #expect(ring.frontTimestamp == 123_456)
        ring.removeFront(points: 1, bytes: 13)
        #expect(append(&ring, ["no_time v=1\n"]))
        #expect(ring.frontTimestamp == nil)
    }

    @Test func refusesWhatDoesNotFitAndWrapsAround() {
        var ring = PointRing(capacityBytes: 10)
        #expect(append(&ring, ["aaaa\n"]))
        #expect(!append(&ring, ["bbbbbb\n"]))
        #expect(ring.pointCount == 1)
        for round in 0..<50 {
            #expect(append(&ring, ["x\(round % 10)\n"]))
            ring.removeFront(points: 1, bytes: ring.frontBatch(maxPoints: 1, maxBytes: 100).bytes)
        }
        #expect(front(ring, maxPoints: 10, maxBytes: 100) == "x9\n")
    }
}
