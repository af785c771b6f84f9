// iotflow-bridge: the record ledger: which durable records the points in memory came from.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct RecordLedgerTests {
    @Test func theLedgerMovesTheCheckpointByPoints() {
        var ledger = RecordLedger()
        #expect(ledger.checkpoint == nil)
        ledger.loaded(segment: 1, offset: 16, points: 3)
        ledger.loaded(segment: 1, offset: 100, points: 2, firstPoint: 0)
        ledger.loaded(segment: 2, offset: 16, points: 4, firstPoint: 1)
        ledger.remove(points: 2)
        #expect(ledger.checkpoint == BufferCheckpoint(segment: 1, offset: 16, acceptedPoints: 2))
        ledger.remove(points: 1)
        #expect(ledger.checkpoint == BufferCheckpoint(segment: 1, offset: 100, acceptedPoints: 0))
        ledger.remove(points: 3)
        // A record loaded after its first point was taken counts that point too.
        #expect(ledger.checkpoint == BufferCheckpoint(segment: 2, offset: 16, acceptedPoints: 2))
        ledger.remove(points: 3)
        #expect(ledger.isEmpty && ledger.checkpoint == nil)
    }

    @Test func removalsInAnyStepsMatchTheRecordTheyEndIn() {
        // 3,000 records of 1 to 5 points, more than the ledger's first allocation holds; points
        // removed in uneven steps, while more records are loaded, as the writer does.
        var ledger = RecordLedger()
        var records: [(offset: Int, points: Int)] = []
        var loaded = 0
        func load(_ count: Int) {
            for _ in 0..<count {
                let record = (offset: 16 + 100 * records.count, points: 1 + records.count % 5)
                ledger.loaded(segment: 9, offset: record.offset, points: record.points)
                records.append(record)
                loaded += record.points
            }
        }
        load(2000)
        var removed = 0
        for step in [0, 1, 4, 5, 2999, 1, 3000, 17] {
            if step > 2000 { load(500) }
            ledger.remove(points: step)
            removed += step
            // The record holding the next point to remove, and how many of its points are gone.
            var index = 0
            var before = 0
            while before + records[index].points <= removed {
                before += records[index].points
                index += 1
            }
            let expected = BufferCheckpoint(
                segment: 9,
                offset: UInt64(records[index].offset),
                acceptedPoints: UInt32(removed - before)
            )
            #expect(ledger.checkpoint == expected, "after removing \(removed)")
        }
        ledger.remove(points: loaded - removed)
        #expect(ledger.isEmpty && ledger.checkpoint == nil)
    }
}
