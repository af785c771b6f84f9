// iotflow-bridge: a segment record's line lengths, read in place by the one walker over them.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct SegmentFormatLineLengthsTests {
    @Test func aRecordsLineLengthsReadBackInOrderAndPartially() {
        let lines = ["m v=1 1\n", "cpu,host=a usage=0.5 2\n", "m v=333 3\n"]
        var bytes = Array("ignored before the record".utf8)
        let start = bytes.count
        let body = Array(lines.joined().utf8)
        let lengths = lines.map { UInt32($0.utf8.count) }
        body.withUnsafeBufferPointer { b in
            lengths.withUnsafeBufferPointer { SegmentFormat.appendRecord(lines: b, lineLengths: $0, to: &bytes) }
        }
        bytes.withUnsafeBytes { raw in
            guard case .record(let record) = SegmentFormat.scan(raw, at: start) else {
                Issue.record("the record does not scan")
                return
            }
            let read = record.lineLengths(in: raw)
            #expect(Array(read) == lines.map(\.utf8.count))
            #expect(read.prefix(2).reduce(0, +) == 8 + 23)
            #expect(Array(read.dropFirst(2)) == [10])
            #expect(read.reduce(0, +) == record.lineBytes)
        }
    }

    @Test func aTableAtAnOffsetReadsLittleEndianLengths() {
        let bytes: [UInt8] = [0xFF, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
        let read = bytes.withUnsafeBytes { Array(SegmentFormat.LineLengths($0, at: 1, count: 2)) }
        #expect(read == [1, 256])
        #expect(bytes.withUnsafeBytes { SegmentFormat.LineLengths($0, at: 1, count: 0).isEmpty })
    }
}
