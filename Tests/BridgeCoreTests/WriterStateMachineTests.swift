// iotflow-bridge: the writer loop's schedules, stepped through with a manual clock.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct WriterStateMachineTests {
    // A new suite value per test, so every test has its own manual clock.
    private let t0 = ContinuousClock.now

    private func t(_ milliseconds: Int) -> ContinuousClock.Instant {
        t0 + .milliseconds(milliseconds)
    }

    private static let maxBatchBytes = 1 << 20

    private func makeMachine(
        batchSize: Int = 3,
        flushInterval: Duration = .seconds(10),
        flushJitter: Duration = .zero,
        retry: RetryConfiguration = RetryConfiguration(initial: .seconds(1), maximum: .seconds(4)),
        breaker: BreakerConfiguration = BreakerConfiguration(failures: 1000),
        drain: Duration = .seconds(5),
        random: Double = 0
    ) -> WriterStateMachine {
        let configuration = BridgeConfiguration(
            influxdb: InfluxConfiguration(
                batchSize: batchSize,
                maxBatchBytes: Self.maxBatchBytes,
                flushInterval: flushInterval,
                flushJitter: flushJitter
            ),
            retry: retry,
            breaker: breaker,
            shutdown: ShutdownConfiguration(drain: drain)
        )
        return WriterStateMachine(configuration: configuration, now: t0, random: random)
    }

    /// A machine with a batch of 3 points (24 bytes) out at t0.
    private func makeSendingMachine(
        retry: RetryConfiguration = RetryConfiguration(initial: .seconds(1), maximum: .seconds(4)),
        breaker: BreakerConfiguration = BreakerConfiguration(failures: 1000),
        drain: Duration = .seconds(5)
    ) -> WriterStateMachine {
        var machine = makeMachine(retry: retry, breaker: breaker, drain: drain)
        #expect(machine.handle(.pointsWaited(held: 3), at: t0, random: 0).isEmpty)
        #expect(machine.nextCommand(at: t0) == .peekBatch(maxPoints: 3, maxBytes: Self.maxBatchBytes))
        #expect(machine.handle(.batchPeeked(points: 3, bytes: 24), at: t0, random: 0).isEmpty)
        #expect(machine.phase == .sending)
        return machine
    }

    private static let send = WriterStateMachine.Command.sendRequest(maxLines: .max, maxBytes: maxBatchBytes)
    private static let down = WriteOutcome.retryable(status: 503, message: "unavailable")

    /// The report of a request of the whole 3-point batch answered with `outcome`.
    private func report(
        _ outcome: WriteOutcome,
        rejected: [DeadLetter] = [],
        complete: Bool = false
    ) -> WriterStateMachine.Event {
        .requestDone(
            .init(
                outcome: outcome,
                lines: 3,
                bytes: 24,
                rejected: rejected,
                answeredRequests: 1,
                batchComplete: complete
            )
        )
    }

    @Test func aFullBatchIsTakenWithoutWaitingForTheFlushDeadline() {
        var machine = makeMachine()
        #expect(machine.nextCommand(at: t0) == .waitForPoints(atLeast: 3, until: t(10_000)))
        _ = machine.handle(.pointsWaited(held: 2), at: t(1000), random: 0)
        #expect(machine.nextCommand(at: t(1000)) == .waitForPoints(atLeast: 3, until: t(10_000)))
        _ = machine.handle(.pointsWaited(held: 3), at: t(1500), random: 0)
        #expect(machine.nextCommand(at: t(1500)) == .peekBatch(maxPoints: 3, maxBytes: Self.maxBatchBytes))
    }

    @Test func aPartialBatchIsTakenAtTheFlushDeadlineWithItsInjectedJitter() {
        // 10 s plus half of 4 s of jitter.
        var machine = makeMachine(flushJitter: .seconds(4), random: 0.5)
        #expect(machine.nextCommand(at: t0) == .waitForPoints(atLeast: 3, until: t(12_000)))
        _ = machine.handle(.pointsWaited(held: 1), at: t(11_999), random: 0)
        #expect(machine.nextCommand(at: t(11_999)) == .waitForPoints(atLeast: 3, until: t(12_000)))
        _ = machine.handle(.pointsWaited(held: 1), at: t(12_000), random: 0)
        #expect(machine.nextCommand(at: t(12_000)) == .peekBatch(maxPoints: 3, maxBytes: Self.maxBatchBytes))
    }

    @Test func anEmptyBufferAtTheDeadlineStartsANewFlushInterval() {
        var machine = makeMachine(flushJitter: .seconds(4))
        _ = machine.handle(.pointsWaited(held: 0), at: t(10_000), random: 1)
        #expect(machine.nextCommand(at: t(10_000)) == .waitForPoints(atLeast: 3, until: t(24_000)))
    }

    @Test func retryDelaysGrowAndAreCappedAndASuccessResetsThem() {
        var machine = makeSendingMachine()
        var now = t0
        // random 1: the ceiling, 1 s, 2 s, 4 s, then capped at `retry.max` 4 s.
        for delay in [1000, 2000, 4000, 4000] {
            #expect(machine.nextCommand(at: now) == Self.send)
            let effects = machine.handle(report(Self.down), at: now, random: 1)
            #expect(effects.contains(.countWriteError))
            #expect(machine.nextCommand(at: now) == .wait(until: now + .milliseconds(delay), wakeEarly: true))
            now += .milliseconds(delay)
        }
        #expect(machine.nextCommand(at: now) == Self.send)
        let partial = WriteOutcome.partiallyAccepted(status: 400, failures: [LineFailure(lineNumber: 2, message: "x")])
        #expect(machine.handle(report(partial), at: now, random: 1) == [.log(.writesRecovered)])
        #expect(machine.nextCommand(at: now) == Self.send)
        _ = machine.handle(report(Self.down), at: now, random: 1)
        #expect(machine.nextCommand(at: now) == .wait(until: now + .seconds(1), wakeEarly: true))
    }

    @Test func onlyTheFirstFailureOfAStreakIsLoggedWithinAMinute() {
        var machine = makeSendingMachine()
        let first = machine.handle(report(Self.down), at: t0, random: 0)
        #expect(
            first.contains(
                .log(
                    .writeFailed(
                        status: "503",
                        message: "unavailable",
                        requestPoints: 3,
                        retryDelay: .seconds(1),
                        suppressed: 0
                    )
                )
            )
        )
        let second = machine.handle(report(Self.down), at: t(1000), random: 0)
        #expect(second == [.countWriteError])
    }

    @Test func retryAfterIsHonouredWhenLongerThanTheBackoff() {
        var machine = makeSendingMachine()
        _ = machine.handle(
            report(.throttled(status: 429, retryAfter: .seconds(30), message: "slow down")),
            at: t0,
            random: 0
        )
        #expect(machine.nextCommand(at: t(29_999)) == .wait(until: t(30_000), wakeEarly: true))
        #expect(machine.nextCommand(at: t(30_000)) == Self.send)
        _ = machine.handle(
            report(.throttled(status: 429, retryAfter: .milliseconds(100), message: "")),
            at: t(30_000),
            random: 0
        )
        #expect(machine.nextCommand(at: t(30_000)) == .wait(until: t(31_000), wakeEarly: true))
    }

    @Test func theBreakerOpensProbesWithAtMostAHundredLinesReopensAndCloses() {
        let breaker = BreakerConfiguration(failures: 2, openFor: .seconds(10), maximumOpenFor: .seconds(20))
        var machine = makeSendingMachine(breaker: breaker)
        #expect(!machine.handle(report(Self.down), at: t0, random: 0).contains(.countBreakerOpened))
        #expect(!machine.breakerIsOpen)
        let opening = machine.handle(report(Self.down), at: t(1000), random: 0)
        #expect(opening.contains(.countBreakerOpened))
        #expect(opening.contains(.log(.breakerOpened(failures: 2, openFor: .seconds(10)))))
        #expect(machine.breakerIsOpen)
        // The backoff ends at 2 s, but nothing is sent before the cool-down ends at 11 s.
        #expect(machine.nextCommand(at: t(5000)) == .wait(until: t(11_000), wakeEarly: true))
        let probe = WriterStateMachine.Command.sendRequest(maxLines: 100, maxBytes: Self.maxBatchBytes)
        #expect(machine.nextCommand(at: t(11_000)) == probe)
        let reopening = machine.handle(report(Self.down), at: t(11_000), random: 0)
        #expect(reopening.contains(.log(.breakerReopened(openFor: .seconds(20)))))
        #expect(!reopening.contains(.countBreakerOpened))
        #expect(machine.nextCommand(at: t(12_000)) == .wait(until: t(31_000), wakeEarly: true))
        #expect(machine.nextCommand(at: t(31_000)) == probe)
        #expect(machine.handle(report(.accepted), at: t(31_000), random: 0) == [.log(.breakerClosed)])
        #expect(!machine.breakerIsOpen)
        #expect(machine.nextCommand(at: t(31_000)) == Self.send)
    }

    @Test func aCompleteBatchIsHeldUntilItsDeadLettersAreWrittenAndTheWriteIsRetried() {
        var machine = makeSendingMachine()
        let letter = DeadLetter(time: 1, reason: "unable to parse", status: 400, line: "bad")
        let rejection = WriteOutcome.rejected(status: 400, message: "unable to parse")
        _ = machine.handle(report(rejection, rejected: [letter], complete: true), at: t0, random: 0)
        #expect(machine.phase == .holding)
        #expect(machine.nextCommand(at: t0) == .writeDeadLetters([letter]))
        let failed = machine.handle(.deadLettersWritten(count: 0, error: "EIO"), at: t0, random: 0)
        #expect(failed == [.log(.deadLetterWriteFailed(error: "EIO", held: 1, retryDelay: .seconds(1), suppressed: 0))])
        #expect(machine.nextCommand(at: t(500)) == .wait(until: t(1000), wakeEarly: true))
        #expect(machine.nextCommand(at: t(1000)) == .writeDeadLetters([letter]))
        // The second failure of the streak is not logged again within the minute; it waits 1–2 s.
        #expect(machine.handle(.deadLettersWritten(count: 0, error: "EIO"), at: t(1000), random: 1).isEmpty)
        #expect(machine.nextCommand(at: t(1000)) == .wait(until: t(3000), wakeEarly: true))
        let written = machine.handle(.deadLettersWritten(count: 1, error: nil), at: t(3000), random: 0)
        #expect(
            written == [
                .log(.deadLettersRecovered(failures: 2)),
                .log(.linesRejected(points: 1, status: 400, message: "unable to parse", suppressed: 0)),
                .removeBatch(.init(points: 3, bytes: 24)),
            ]
        )
        #expect(machine.phase == .waiting)
        #expect(machine.nextCommand(at: t(3000)) == .waitForPoints(atLeast: 3, until: t(13_000)))
    }

    @Test func theDrainEndsAtItsDeadlineWithTheBatchStillHeld() {
        var machine = makeSendingMachine(drain: .seconds(5))
        #expect(machine.handle(.stopRequested, at: t0, random: 0).isEmpty)
        var now = t0
        // random 1 with retry 1 s … 4 s: retries at 1 s and 3 s; the next, at 7 s, is past 5 s.
        for wait in [1000, 2000] {
            #expect(machine.nextCommand(at: now) == Self.send)
            _ = machine.handle(report(Self.down), at: now, random: 1)
            #expect(machine.nextCommand(at: now) == .wait(until: now + .milliseconds(wait), wakeEarly: false))
            now += .milliseconds(wait)
        }
        #expect(machine.nextCommand(at: now) == Self.send)
        _ = machine.handle(report(Self.down), at: now, random: 1)
        #expect(machine.nextCommand(at: now) == .finish(held: .init(points: 3, bytes: 24), deadLetters: []))
        #expect(machine.phase == .finished)
    }

    @Test func theDrainTakesBatchesWithoutWaitingAndEndsWhenTheBufferIsEmpty() {
        var machine = makeMachine()
        _ = machine.handle(.stopRequested, at: t0, random: 0)
        #expect(machine.nextCommand(at: t0) == .peekBatch(maxPoints: 3, maxBytes: Self.maxBatchBytes))
        _ = machine.handle(.batchPeeked(points: 1, bytes: 8), at: t0, random: 0)
        #expect(machine.nextCommand(at: t0) == Self.send)
        let removed = machine.handle(report(.accepted, complete: true), at: t0, random: 0)
        #expect(removed == [.removeBatch(.init(points: 1, bytes: 8))])
        #expect(machine.nextCommand(at: t0) == .peekBatch(maxPoints: 3, maxBytes: Self.maxBatchBytes))
        _ = machine.handle(.batchPeeked(points: 0, bytes: 0), at: t0, random: 0)
        #expect(machine.nextCommand(at: t0) == .finish(held: nil, deadLetters: []))
        // And whatever the phase, the deadline ends it.
        var late = makeSendingMachine()
        _ = late.handle(.stopRequested, at: t0, random: 0)
        #expect(late.nextCommand(at: t(5000)) == .finish(held: .init(points: 3, bytes: 24), deadLetters: []))
    }

    @Test func aReloadedConnectionResetsTheBackoffAndTheBreaker() {
        let breaker = BreakerConfiguration(failures: 1, openFor: .seconds(3600), maximumOpenFor: .seconds(3600))
        var machine = makeSendingMachine(breaker: breaker)
        _ = machine.handle(report(.configurationError(status: 401, message: "unauthorized")), at: t0, random: 0)
        #expect(machine.breakerIsOpen)
        #expect(machine.nextCommand(at: t(1000)) == .wait(until: t(3_600_000), wakeEarly: true))
        var fixed = machine.influx
        fixed.url = "http://127.0.0.1:9/"
        #expect(!WriterStateMachine.sameConnection(fixed, machine.influx))
        var trustingAnotherCA = machine.influx
        trustingAnotherCA.tls.caFile = "/etc/iotflow-bridge/ca.pem"
        #expect(!WriterStateMachine.sameConnection(trustingAnotherCA, machine.influx))
        let effects = machine.handle(.settingsReloaded(fixed, connectionChanged: true), at: t(1000), random: 0)
        #expect(effects == [.log(.reloadedConnection(url: "http://127.0.0.1:9/"))])
        #expect(!machine.breakerIsOpen)
        #expect(machine.nextCommand(at: t(1000)) == Self.send)
    }

    @Test func reloadedBatchingKeysApplyFromTheNextBatchAndAShorterIntervalCutsTheWait() {
        var machine = makeSendingMachine()
        var larger = machine.influx
        larger.batchSize = 5
        #expect(WriterStateMachine.sameConnection(larger, machine.influx))
        let effects = machine.handle(.settingsReloaded(larger, connectionChanged: false), at: t0, random: 0)
        #expect(effects == [.log(.reloadedBatching(larger))])
        _ = machine.handle(report(.accepted, complete: true), at: t0, random: 0)
        #expect(machine.nextCommand(at: t0) == .waitForPoints(atLeast: 5, until: t(10_000)))
        var quicker = larger
        quicker.flushInterval = .milliseconds(100)
        _ = machine.handle(.settingsReloaded(quicker, connectionChanged: false), at: t(50), random: 0)
        #expect(machine.nextCommand(at: t(50)) == .waitForPoints(atLeast: 5, until: t(150)))
        // A longer one does not stretch the current wait.
        var slower = quicker
        slower.flushInterval = .seconds(60)
        _ = machine.handle(.settingsReloaded(slower, connectionChanged: false), at: t(60), random: 0)
        #expect(machine.nextCommand(at: t(60)) == .waitForPoints(atLeast: 5, until: t(150)))
    }

    @Test func aBatchThatCannotBeReadIsLookedForAgainASecondLater() {
        var machine = makeMachine()
        _ = machine.handle(.pointsWaited(held: 3), at: t0, random: 0)
        _ = machine.handle(.batchPeeked(points: 0, bytes: 0), at: t0, random: 0)
        #expect(machine.nextCommand(at: t0) == .wait(until: t(1000), wakeEarly: true))
        _ = machine.handle(.waited, at: t(1000), random: 0)
        #expect(machine.nextCommand(at: t(1000)) == .waitForPoints(atLeast: 3, until: t(10_000)))
    }
}
