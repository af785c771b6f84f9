// iotflow-bridge: the durable buffer's bytes: records, segment names and headers, checkpoints.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct SegmentFormatTests {
    private func record(_ lines: [String]) -> [UInt8] {
        var output: [UInt8] = []
        let bytes = Array(lines.joined().utf8)
        let lengths = lines.map { UInt32($0.utf8.count) }
        bytes.withUnsafeBufferPointer { b in
            lengths.withUnsafeBufferPointer { SegmentFormat.appendRecord(lines: b, lineLengths: $0, to: &output) }
        }
        return output
    }

    @Test func recordsReadBackAndEveryCutOrFlippedByteIsDetected() {
        let first = record(["m v=1 1\n", "m v=22 2\n"])
        let bytes = first + record(["m v=3 3\n"])
        guard case .record(let one) = bytes.withUnsafeBytes({ SegmentFormat.scan($0, at: 0) }) else {
            Issue.record("first record not read")
            return
        }
        #expect(one.points == 2 && one.lineBytes == 17 && one.end == first.count)
        #expect(String(decoding: bytes[one.linesOffset..<one.end], as: UTF8.self) == "m v=1 1\nm v=22 2\n")
        guard case .record(let two) = bytes.withUnsafeBytes({ SegmentFormat.scan($0, at: one.end) }) else {
            Issue.record("second record not read")
            return
        }
        #expect(two.points == 1 && two.end == bytes.count)
        #expect(bytes.withUnsafeBytes { SegmentFormat.scan($0, at: bytes.count) } == .end)
        for cut in 1..<first.count {
            let torn = Array(first.prefix(cut))
            guard case .invalid = torn.withUnsafeBytes({ SegmentFormat.scan($0, at: 0) }) else {
                Issue.record("a record cut to \(cut) bytes was read")
                return
            }
        }
        for index in first.indices {
            var flipped = first
            flipped[index] ^= 0x10
            guard case .invalid = flipped.withUnsafeBytes({ SegmentFormat.scan($0, at: 0) }) else {
                Issue.record("a flipped byte \(index) was not detected")
                return
            }
        }
    }

    @Test func segmentNamesAndHeaders() {
        #expect(SegmentFormat.fileName(id: 0x1f) == "segment-000000000000001f.log")
        #expect(SegmentFormat.segmentID(fileName: "segment-000000000000001f.log") == 0x1f)
        for foreign in [
            "segment-1.log", "segment-000000000000001F.log", "segment-000000000000001f.log.corrupt", "notes",
        ] {
            #expect(SegmentFormat.segmentID(fileName: foreign) == nil)
        }
        let header = SegmentFormat.header(id: 42)
        #expect(header.count == SegmentFormat.headerBytes)
        #expect(header.withUnsafeBytes { SegmentFormat.segmentID(header: $0) } == 42)
        #expect(Array("IFBSEG0".utf8).withUnsafeBytes { SegmentFormat.segmentID(header: $0) } == nil)
    }

    @Test func checkpointsRoundTripAndDamageIsRefused() {
        let checkpoint = BufferCheckpoint(segment: 7, offset: 1234, acceptedPoints: 5)
        let bytes = checkpoint.encoded
        #expect(bytes.count == BufferCheckpoint.encodedBytes)
        #expect(BufferCheckpoint(encoded: bytes) == checkpoint)
        for index in bytes.indices {
            var damaged = bytes
            damaged[index] ^= 1
            #expect(BufferCheckpoint(encoded: damaged) == nil)
        }
        #expect(BufferCheckpoint(encoded: Array(bytes.prefix(31))) == nil)
    }
}
