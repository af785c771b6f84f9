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
}
