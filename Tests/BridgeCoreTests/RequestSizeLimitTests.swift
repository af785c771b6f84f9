// iotflow-bridge: the request size limit: halved by a too-large reply, grown back slowly.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct RequestSizeLimitTests {
    @Test func learnsFromTooLargeAndGrowsBackSlowly() {
        var limit = RequestSizeLimit(ceiling: 1_000_000)
        limit.tooLarge(bytes: 1_000_000)
        #expect(limit.current == 500_000)
        limit.tooLarge(bytes: 500_000)
        #expect(limit.current == 250_000)
        for _ in 0..<99 { limit.accepted(bytes: 250_000) }
        #expect(limit.current == 250_000)
        limit.accepted(bytes: 250_000)
        #expect(limit.current == 312_500)
        limit.tooLarge(bytes: 312_500)
        #expect(limit.current == 250_000)  // the largest size accepted, not half of the rejected one
    }
}
