// iotflow-bridge: the breaker's transitions, stepped through with a manual clock.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct CircuitBreakerTests {
    private enum Event {
        case failed(at: ContinuousClock.Instant)
        case succeeded
        case decide(at: ContinuousClock.Instant)
    }

    private enum Reply: Equatable {
        case action(CircuitBreaker.Action)
        case decision(CircuitBreaker.Decision)
    }

    /// One row: the event, what the breaker returns, and its state and failure count after.
    private typealias Step = (event: Event, reply: Reply, state: CircuitBreaker.State, failures: Int)

    // A new suite value per test, so every test has its own manual clock.
    private let t0 = ContinuousClock.now

    private func t(_ seconds: Int) -> ContinuousClock.Instant {
        t0 + .seconds(seconds)
    }

    /// Failures at t0 + `seconds` that leave the breaker closed, counting up from `after` + 1.
    private func failuresStayingClosed(at seconds: Range<Int>, after: Int = 0) -> [Step] {
        seconds.enumerated().map { index, second in
            (.failed(at: t(second)), .action(.none), .closed, after + index + 1)
        }
    }

    /// Feeds `steps` to `breaker` in order, checking each row; returns the breaker afterwards.
    @discardableResult
    private func play(
        _ steps: [Step],
        on breaker: CircuitBreaker = CircuitBreaker(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> CircuitBreaker {
        var breaker = breaker
        for (index, step) in steps.enumerated() {
            let reply: Reply
            switch step.event {
            case .failed(let now): reply = .action(breaker.writeFailed(at: now))
            case .succeeded: reply = .action(breaker.writeSucceeded())
            case .decide(let now): reply = .decision(breaker.decide(at: now))
            }
            #expect(reply == step.reply, "step \(index)", sourceLocation: sourceLocation)
            #expect(breaker.state == step.state, "step \(index)", sourceLocation: sourceLocation)
            #expect(breaker.consecutiveFailures == step.failures, "step \(index)", sourceLocation: sourceLocation)
            #expect(breaker.isOpen == (step.state != .closed), "step \(index)", sourceLocation: sourceLocation)
        }
        return breaker
    }

    /// Five failures at t = 0…4 s: open until 64 s.
    private var opening: [Step] {
        failuresStayingClosed(at: 0..<4) + [
            (.failed(at: t(4)), .action(.opened(until: t(64), consecutiveFailures: 5)), .open(until: t(64)), 5)
        ]
    }

    @Test func staysClosedBelowTheThreshold() {
        play(failuresStayingClosed(at: 0..<4) + [(.decide(at: t(5)), .decision(.send), .closed, 4)])
    }

    @Test func opensOnTheFifthConsecutiveFailure() {
        play(opening)
    }

    @Test func waitsUntilTheCoolDownEndsThenProbes() {
        play(
            opening + [
                (.decide(at: t(30)), .decision(.wait(until: t(64))), .open(until: t(64)), 5),
                (.decide(at: t(63)), .decision(.wait(until: t(64))), .open(until: t(64)), 5),
                (.decide(at: t(64)), .decision(.sendProbe), .halfOpen, 5),
                // One probe at a time: half-open keeps answering sendProbe until a result comes.
                (.decide(at: t(65)), .decision(.sendProbe), .halfOpen, 5),
            ]
        )
    }

    @Test func failedProbeDoublesTheCoolDownAndSuccessClosesAndResetsBoth() {
        let closed = play(
            opening + [
                (.decide(at: t(64)), .decision(.sendProbe), .halfOpen, 5),
                (.failed(at: t(64)), .action(.reopened(until: t(184))), .open(until: t(184)), 6),
                (.decide(at: t(183)), .decision(.wait(until: t(184))), .open(until: t(184)), 6),
                (.decide(at: t(184)), .decision(.sendProbe), .halfOpen, 6),
                (.succeeded, .action(.closed), .closed, 0),
                (.decide(at: t(185)), .decision(.send), .closed, 0),
            ]
        )
        // Five more failures: the cool-down is back to 60 s, not 240 s.
        play(
            failuresStayingClosed(at: 200..<204) + [
                (.failed(at: t(204)), .action(.opened(until: t(264), consecutiveFailures: 5)), .open(until: t(264)), 5)
            ],
            on: closed
        )
    }

    @Test(
        arguments: [
            (60, 600, [120, 240, 480, 600, 600]),
            (60, 100, [100, 100]),
            (10, 10, [10, 10]),
            // A maximum below openFor counts as openFor.
            (30, 5, [30, 30]),
        ] as [(Int, Int, [Int])]
    )
    func failedProbesDoubleTheCoolDownUpToTheMaximum(openFor: Int, maximumOpenFor: Int, reopenedFor: [Int]) {
        var breaker = CircuitBreaker(
            failureThreshold: 1,
            openFor: .seconds(openFor),
            maximumOpenFor: .seconds(maximumOpenFor)
        )
        var until = t(openFor)
        #expect(breaker.writeFailed(at: t0) == .opened(until: until, consecutiveFailures: 1))
        for coolDown in reopenedFor {
            #expect(breaker.decide(at: until) == .sendProbe)
            let reopened = until + .seconds(coolDown)
            #expect(breaker.writeFailed(at: until) == .reopened(until: reopened))
            until = reopened
        }
        #expect(breaker.consecutiveFailures == 1 + reopenedFor.count)
    }

    @Test func successWhileClosedResetsTheCount() {
        play(
            failuresStayingClosed(at: 0..<4)
                + [(.succeeded, .action(.none), .closed, 0)]
                + failuresStayingClosed(at: 5..<9)
                + [(.failed(at: t(9)), .action(.opened(until: t(69), consecutiveFailures: 5)), .open(until: t(69)), 5)]
        )
    }

    @Test func writesInFlightWhileOpenOnlyCountOrClose() {
        play(
            opening + [
                (.failed(at: t(5)), .action(.none), .open(until: t(64)), 6),
                (.succeeded, .action(.closed), .closed, 0),
            ]
        )
    }

    @Test(arguments: [1, 2, 3, 10])
    func opensAfterExactlyThresholdFailures(threshold: Int) {
        let breaker = CircuitBreaker(failureThreshold: threshold, openFor: .seconds(5))
        play(
            failuresStayingClosed(at: 0..<(threshold - 1)) + [
                (
                    .failed(at: t(threshold)),
                    .action(.opened(until: t(threshold + 5), consecutiveFailures: threshold)),
                    .open(until: t(threshold + 5)), threshold
                )
            ],
            on: breaker
        )
    }

    @Test func thresholdBelowOneCountsAsOne() {
        var breaker = CircuitBreaker(failureThreshold: 0)
        #expect(breaker.writeFailed(at: t0) == .opened(until: t(60), consecutiveFailures: 1))
    }
}
