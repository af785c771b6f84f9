// iotflow-bridge: segment bytes built record by record, for the recovery tests.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

/// A segment's bytes built record by record, with each record's byte range.
struct SegmentBytes {
    var bytes: [UInt8]
    var records: [Range<Int>] = []

    init(id: UInt64, messages: [[String]]) {
        bytes = SegmentFormat.header(id: id)
        for lines in messages {
            let start = bytes.count
            let text = Array(lines.joined().utf8)
            let lengths = lines.map { UInt32($0.utf8.count) }
            text.withUnsafeBufferPointer { b in
                lengths.withUnsafeBufferPointer { SegmentFormat.appendRecord(lines: b, lineLengths: $0, to: &bytes) }
            }
            records.append(start..<bytes.count)
        }
    }

    /// `count` messages of one to three points each.
    init(id: UInt64 = 1, count: Int) {
        self.init(
            id: id,
            messages: (0..<count).map { index in
                (0...(index % 3)).map { "m,device_id=d\(index) seq=\(index),n=\($0) \(1_700_000_000 + index)\n" }
            }
        )
    }

    func survey(id: UInt64 = 1, isNewest: Bool = true) -> SegmentSurvey {
        bytes.withUnsafeBytes { SegmentSurvey($0, id: id, isNewest: isNewest) }
    }
}
