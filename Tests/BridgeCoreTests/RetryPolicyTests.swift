// iotflow-bridge: the backoff schedule, jitter bounds, overflow and Retry-After handling.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct RetryPolicyTests {
    @Test(
        arguments: [
            // random 0 is always `initial`; random 1 is the ceiling.
            (1, 0, nil, .seconds(1)),
            (1, 1, nil, .seconds(1)),
            (2, 1, nil, .seconds(2)),
            (3, 0, nil, .seconds(1)),
            (3, 0.5, nil, .milliseconds(2500)),
            (3, 1, nil, .seconds(4)),
            (6, 1, nil, .seconds(32)),
            // The ceiling stops at `maximum` (64 s capped to 60 s).
            (7, 1, nil, .seconds(60)),
            (7, 0.5, nil, .milliseconds(30500)),
            (8, 1, nil, .seconds(60)),
            // Large failure counts neither overflow nor trap.
            (100, 1, nil, .seconds(60)),
            (100, 0, nil, .seconds(1)),
            (.max, 1, nil, .seconds(60)),
            // Fewer than one failure counts as one; random outside 0...1 is clamped.
            (0, 1, nil, .seconds(1)),
            (-5, 1, nil, .seconds(1)),
            (3, 2, nil, .seconds(4)),
            (3, -1, nil, .seconds(1)),
            (3, .nan, nil, .seconds(1)),
            // Retry-After wins when longer, even beyond `maximum`, and loses when shorter.
            (3, 0.5, .seconds(30), .seconds(30)),
            (3, 0.5, .seconds(2), .milliseconds(2500)),
            (7, 1, .seconds(120), .seconds(120)),
            (1, 0, .zero, .seconds(1)),
            // Retry-After is capped at 10 minutes.
            (3, 0.5, .seconds(3600), .seconds(600)),
            (8, 1, .seconds(601), .seconds(600)),
        ] as [(Int, Double, Duration?, Duration)]
    )
    func delayFollowsTheSchedule(failures: Int, random: Double, retryAfter: Duration?, expected: Duration) {
        #expect(RetryPolicy().delay(afterFailures: failures, retryAfter: retryAfter, random: random) == expected)
    }

    @Test func defaultCeilingsDoubleFromOneSecondUpToSixty() {
        let ceilings = (1...8).map { RetryPolicy().delay(afterFailures: $0, random: 1) }
        #expect(ceilings == [1, 2, 4, 8, 16, 32, 60, 60].map { .seconds($0) })
    }

    @Test func customBoundsScaleTheSchedule() {
        let policy = RetryPolicy(initial: .milliseconds(500), maximum: .seconds(10), retryAfterCap: .seconds(30))
        let ceilings = (1...7).map { policy.delay(afterFailures: $0, random: 1) }
        #expect(ceilings == [500, 1000, 2000, 4000, 8000, 10000, 10000].map { .milliseconds($0) })
        #expect(policy.delay(afterFailures: 7, random: 0) == .milliseconds(500))
        #expect(policy.delay(afterFailures: 1, retryAfter: .seconds(60), random: 0) == .seconds(30))
    }

    @Test func hugeBoundsDoNotOverflow() {
        let policy = RetryPolicy(initial: .nanoseconds(1), maximum: .seconds(Int64.max))
        #expect(policy.delay(afterFailures: .max, random: 1) == .seconds(Int64.max))
        #expect(policy.delay(afterFailures: .max, random: 0) == .nanoseconds(1))
    }

    @Test func maximumBelowInitialCountsAsInitial() {
        let policy = RetryPolicy(initial: .seconds(5), maximum: .seconds(1))
        #expect(policy.delay(afterFailures: 1, random: 1) == .seconds(5))
        #expect(policy.delay(afterFailures: 10, random: 1) == .seconds(5))
    }
}
