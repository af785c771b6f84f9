// iotflow-bridge: EXTEND_TIMEOUT_USEC while a start makes progress, nothing once it stops.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct StartTimeoutExtenderTests {
    private let start = ContinuousClock.now

    private func at(_ seconds: Double) -> ContinuousClock.Instant {
        start + .milliseconds(Int64(seconds * 1000))
    }

    @Test func aQuickStartAsksForNothing() {
        var extender = StartTimeoutExtender(startedAt: start)
        for second in stride(from: 0.0, to: 5, by: 0.5) {
            #expect(extender.progressed(at: at(second)) == nil)
        }
    }

    @Test func progressExtendsByThreeIntervalsAtMostOnceAnInterval() {
        var extender = StartTimeoutExtender(startedAt: start)
        #expect(extender.extendBy == .seconds(15))
        let sent = [1.0, 4, 6, 9, 10.9, 11, 12, 16, 30].compactMap { second in
            extender.progressed(at: at(second)).map { (second, $0) }
        }
        #expect(sent.map(\.0) == [6, 11, 16, 30])
        #expect(sent.allSatisfy { $0.1 == .seconds(15) })
    }

    @Test func aSteadyRecoveryIsNeverPastItsTimeout() {
        // A segment read every 0.7 s for two minutes under TimeoutStartSec=6s: each progress
        // report comes before the time systemd has granted runs out.
        var extender = StartTimeoutExtender(startedAt: start)
        var grantedUntil = at(6)
        for step in 1...170 {
            let now = at(Double(step) * 0.7)
            #expect(now < grantedUntil, "killed at \(now - start)")
            if let extend = extender.progressed(at: now) { grantedUntil = max(grantedUntil, now + extend) }
        }
    }

    @Test func progressAfterAStallAsksForOneExtensionFromThenNotABacklog() {
        var extender = StartTimeoutExtender(startedAt: start, interval: .seconds(2))
        #expect(extender.progressed(at: at(2)) == .seconds(6))
        #expect(extender.progressed(at: at(30)) == .seconds(6))
        #expect(extender.progressed(at: at(31)) == nil)
        #expect(extender.progressed(at: at(32)) == .seconds(6))
    }
}
