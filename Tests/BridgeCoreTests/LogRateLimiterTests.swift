// iotflow-bridge: the log rate limiter: a burst per window, then a count of what it suppressed.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct LogRateLimiterTests {
    @Test func rateLimiterAdmitsABurstPerWindowAndReportsSuppressed() {
        var limiter = LogRateLimiter(burst: 2, window: .seconds(10))
        let start = ContinuousClock.now
        let first = (0..<5).map { limiter.admit(at: start + .seconds($0)).admitted }
        #expect(first == [true, true, false, false, false])
        let later = limiter.admit(at: start + .seconds(11))
        #expect(later.admitted && later.suppressedBefore == 3)
    }
}
