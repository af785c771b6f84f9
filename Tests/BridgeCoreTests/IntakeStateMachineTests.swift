// iotflow-bridge: the MQTT intake loop's schedules and endings, stepped through with a manual clock.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct IntakeStateMachineTests {
    private typealias Machine = IntakeStateMachine
    private typealias Step = IntakeStateMachine.Step

    // A new suite value per test, so every test has its own manual clock.
    private let t0 = ContinuousClock.now

    private func t(milliseconds: Int) -> ContinuousClock.Instant {
        t0 + .milliseconds(milliseconds)
    }

    private func t(_ seconds: Int) -> ContinuousClock.Instant {
        t0 + .seconds(seconds)
    }

    private func makeMachine(min: Int = 1, max: Int = 30) -> Machine {
        Machine(reconnectMin: .seconds(min), reconnectMax: .seconds(max))
    }

    /// From the start (or any wait while disconnected) at `now`: room, then a connect.
    private func reachConnect(_ machine: inout Machine, at now: ContinuousClock.Instant, from event: Machine.Event) {
        #expect(machine.handle(event, at: now) == Step(.checkRoom))
        #expect(machine.handle(.roomChecked(hasRoom: true), at: now) == Step(.connect))
        #expect(machine.connection == .connecting)
    }

    /// A machine connected at t0, about to check room for its first pass.
    private func connectedMachine() -> Machine {
        var machine = makeMachine()
        reachConnect(&machine, at: t0, from: .started)
        #expect(machine.handle(.connectSucceeded, at: t0) == Step(.checkRoom))
        return machine
    }

    /// From a pass's room check at `now`: room, a poll with a ready socket, and the burst's first read.
    private func reachFirstRead(_ machine: inout Machine, at now: ContinuousClock.Instant) {
        let poll = machine.handle(.roomChecked(hasRoom: true), at: now)
        #expect(poll == Step(.poll(forReading: true, timeout: .seconds(1))))
        #expect(machine.handle(.polled(socketReady: true), at: now) == Step(.read(startingBurst: true)))
    }

    @Test func reconnectBackoffDoublesCapsAndResetsOnSuccess() {
        var machine = makeMachine(min: 1, max: 5)
        reachConnect(&machine, at: t0, from: .started)
        // Each failure waits the current backoff, then doubles it up to the 5 s maximum.
        var now = t0
        for (attempt, delay) in [1, 2, 4, 5, 5].enumerated() {
            let step = machine.handle(.connectFailed(error: "refused"), at: now)
            #expect(step.action == .checkRoom)
            #expect(machine.connection == .disconnected(nextConnect: now + .seconds(delay)))
            #expect(machine.connectFailures == attempt + 1)
            // Not before the next connect is due.
            #expect(machine.handle(.roomChecked(hasRoom: true), at: now) == Step(.wait(until: now + .seconds(delay))))
            now = now + .seconds(delay)
            reachConnect(&machine, at: now, from: .waited)
        }
        #expect(machine.handle(.connectSucceeded, at: now) == Step(.checkRoom))
        #expect(machine.connection == .connected)
        // Connected, but no CONNACK yet (a TLS handshake may still fail): the backoff stays.
        #expect(machine.backoff == .seconds(5))
        machine.connectionAccepted()
        #expect(machine.backoff == .seconds(1))
        // After a lost connection the next connect is due after the reset backoff: 1 s.
        let lost = machine.handle(.connectionLost(error: "gone"), at: now)
        #expect(lost == Step([.connectionLost(error: "gone")], .checkRoom))
        #expect(machine.handle(.roomChecked(hasRoom: true), at: now) == Step(.wait(until: now + .seconds(1))))
    }

    /// A TLS handshake fails in the first reads, after the TCP connect succeeded: that is a failed
    /// connect, and the backoff goes on doubling instead of starting again at the minimum.
    @Test func aConnectionEndedBeforeItsConnackBacksOffAsAFailedConnect() {
        var machine = makeMachine(min: 1, max: 5)
        reachConnect(&machine, at: t0, from: .started)
        var now = t0
        for delay in [1, 2, 4] {
            #expect(machine.handle(.connectSucceeded, at: now) == Step(.checkRoom))
            _ = machine.handle(.connectFailed(error: "certificate verify failed"), at: now)
            #expect(machine.connection == .disconnected(nextConnect: now + .seconds(delay)))
            now = now + .seconds(delay)
            reachConnect(&machine, at: now, from: .waited)
        }
        #expect(machine.connectFailures == 3)
    }

    @Test func connectFailuresAreLoggedTheFirstAndEveryTenthTime() {
        var machine = makeMachine(min: 1, max: 1)
        reachConnect(&machine, at: t0, from: .started)
        var logged: [Int] = []
        for second in 0..<25 {
            let step = machine.handle(.connectFailed(error: "refused"), at: t(second))
            for case .connectFailed("refused", .seconds(1), let attempts) in step.transitions {
                logged.append(attempts)
            }
            #expect(step.transitions.count <= 1)
            reachConnect(&machine, at: t(second + 1), from: .waited)
        }
        #expect(logged == [1, 10, 20])
        // Once the broker accepts a connection, the count starts again: the next failure is logged.
        machine.connectionAccepted()
        let step = machine.handle(.connectFailed(error: "refused"), at: t(30))
        #expect(step.transitions == [.connectFailed(error: "refused", retryDelay: .seconds(1), attempts: 1)])
    }

    @Test func pausesWhileThereIsNoRoomAndResumes() {
        var machine = connectedMachine()
        // No room: stop reading, look again every 100 ms, but keep writing PUBACKs and pinging.
        let paused = machine.handle(.roomChecked(hasRoom: false), at: t0)
        #expect(paused == Step([.paused], .poll(forReading: false, timeout: .milliseconds(100))))
        #expect(machine.isPaused)
        #expect(machine.handle(.polled(socketReady: true), at: t0) == Step(.commit))
        #expect(machine.handle(.commitSucceeded, at: t0) == Step(.write))
        #expect(machine.handle(.wrote, at: t0) == Step(.checkRoom))
        // Still no room: no second log line.
        let still = machine.handle(.roomChecked(hasRoom: false), at: t(milliseconds: 100))
        #expect(still == Step(.poll(forReading: false, timeout: .milliseconds(100))))
        #expect(machine.handle(.polled(socketReady: false), at: t(milliseconds: 200)) == Step(.commit))
        #expect(machine.handle(.commitSucceeded, at: t(milliseconds: 200)) == Step(.write))
        #expect(machine.handle(.wrote, at: t(milliseconds: 200)) == Step(.checkRoom))
        let resumed = machine.handle(.roomChecked(hasRoom: true), at: t(milliseconds: 200))
        #expect(resumed == Step([.resumed], .poll(forReading: true, timeout: .seconds(1))))
        #expect(!machine.isPaused)
    }

    @Test func pausedWhileDisconnectedDoesNotConnect() {
        var machine = makeMachine()
        #expect(machine.handle(.started, at: t0) == Step(.checkRoom))
        #expect(
            machine.handle(.roomChecked(hasRoom: false), at: t0) == Step([.paused], .wait(until: t(milliseconds: 100)))
        )
        for tick in 1...50 {
            #expect(machine.handle(.waited, at: t(milliseconds: tick * 100)) == Step(.checkRoom))
            let step = machine.handle(.roomChecked(hasRoom: false), at: t(milliseconds: tick * 100))
            #expect(step == Step(.wait(until: t(milliseconds: tick * 100 + 100))))
        }
        #expect(machine.handle(.waited, at: t(6)) == Step(.checkRoom))
        #expect(machine.handle(.roomChecked(hasRoom: true), at: t(6)) == Step([.resumed], .connect))
    }

    @Test func aLostConnectionWhilePausedIsExpected() {
        var machine = connectedMachine()
        _ = machine.handle(.roomChecked(hasRoom: false), at: t0)
        #expect(machine.handle(.polled(socketReady: false), at: t0) == Step(.commit))
        #expect(machine.handle(.commitSucceeded, at: t0) == Step(.write))
        let lost = machine.handle(.connectionLost(error: "keepalive"), at: t0)
        #expect(lost == Step([.disconnectedWhilePaused], .checkRoom))
        // Still paused: no connect until there is room.
        #expect(machine.handle(.roomChecked(hasRoom: false), at: t0) == Step(.wait(until: t(milliseconds: 100))))
    }

    @Test func aFailedCommitIsRetriedOnceASecondAndHoldsThePubacks() {
        var machine = connectedMachine()
        reachFirstRead(&machine, at: t0)
        #expect(machine.handle(.read(moreWaiting: false), at: t0) == Step(.commit))
        let failed = machine.handle(.commitFailed(error: "ENOSPC"), at: t0)
        #expect(failed == Step([.commitFailed(error: "ENOSPC", suppressed: 0)], .wait(until: t(1))))
        // Each retry is only a commit: no room check, poll, read or write (no PUBACK leaves).
        for second in 1..<60 {
            #expect(machine.handle(.waited, at: t(second)) == Step(.commit))
            let again = machine.handle(.commitFailed(error: "ENOSPC"), at: t(second))
            #expect(again == Step(.wait(until: t(second + 1))))
        }
        // A minute on, the failure is logged again, with the count of those left out.
        #expect(machine.handle(.waited, at: t(60)) == Step(.commit))
        let logged = machine.handle(.commitFailed(error: "ENOSPC"), at: t(60))
        #expect(logged == Step([.commitFailed(error: "ENOSPC", suppressed: 59)], .wait(until: t(61))))
        #expect(machine.handle(.waited, at: t(61)) == Step(.commit))
        #expect(machine.handle(.commitSucceeded, at: t(61)) == Step([.commitResumed], .checkRoom))
        #expect(!machine.isCommitFailing)
        reachFirstRead(&machine, at: t(61))
        #expect(machine.handle(.read(moreWaiting: false), at: t(61)) == Step(.commit))
        #expect(machine.handle(.commitSucceeded, at: t(61)) == Step(.write))
        // A new failure after a success is logged at once, within the minute though it is.
        #expect(machine.handle(.wrote, at: t(62)) == Step(.checkRoom))
        reachFirstRead(&machine, at: t(62))
        #expect(machine.handle(.read(moreWaiting: false), at: t(62)) == Step(.commit))
        let anew = machine.handle(.commitFailed(error: "EIO"), at: t(62))
        #expect(anew == Step([.commitFailed(error: "EIO", suppressed: 0)], .wait(until: t(63))))
    }

    @Test func aBurstEndsAfter256Reads() {
        var machine = connectedMachine()
        reachFirstRead(&machine, at: t0)
        for _ in 1..<256 {
            #expect(machine.handle(.read(moreWaiting: true), at: t0) == Step(.checkRoom))
            #expect(machine.handle(.roomChecked(hasRoom: true), at: t0) == Step(.read(startingBurst: false)))
        }
        #expect(machine.handle(.read(moreWaiting: true), at: t0) == Step(.commit))
    }

    @Test func aBurstEndsAfter100MillisecondsOrWithoutRoomOrMessages() {
        var machine = connectedMachine()
        reachFirstRead(&machine, at: t0)
        #expect(machine.handle(.read(moreWaiting: true), at: t(milliseconds: 99)) == Step(.checkRoom))
        #expect(
            machine.handle(.roomChecked(hasRoom: true), at: t(milliseconds: 99)) == Step(.read(startingBurst: false))
        )
        #expect(machine.handle(.read(moreWaiting: true), at: t(milliseconds: 100)) == Step(.commit))
        #expect(machine.handle(.commitSucceeded, at: t(milliseconds: 100)) == Step(.write))
        #expect(machine.handle(.wrote, at: t(milliseconds: 100)) == Step(.checkRoom))
        // No room inside a burst ends it, without pausing: the next pass's room check decides that.
        reachFirstRead(&machine, at: t(1))
        #expect(machine.handle(.read(moreWaiting: true), at: t(1)) == Step(.checkRoom))
        #expect(machine.handle(.roomChecked(hasRoom: false), at: t(1)) == Step(.commit))
        #expect(!machine.isPaused)
        #expect(machine.handle(.commitSucceeded, at: t(1)) == Step(.write))
        #expect(machine.handle(.wrote, at: t(1)) == Step(.checkRoom))
        reachFirstRead(&machine, at: t(2))
        #expect(machine.handle(.read(moreWaiting: false), at: t(2)) == Step(.commit))
    }

    @Test func anInterruptedAppendEndsWithoutWritingOrDisconnecting() {
        var machine = connectedMachine()
        reachFirstRead(&machine, at: t0)
        machine.stopRequested()
        machine.appendInterrupted()
        #expect(machine.handle(.read(moreWaiting: true), at: t0) == Step(.exit(disconnectingGracefully: false)))
        // A read that also lost the connection ends the same way, without a log line.
        var lost = connectedMachine()
        reachFirstRead(&lost, at: t0)
        lost.appendInterrupted()
        let step = lost.handle(.connectionLost(error: "gone"), at: t0)
        #expect(step == Step(.exit(disconnectingGracefully: false)))
    }

    @Test func aStopWithAGoodCommitDisconnectsGracefully() {
        var machine = connectedMachine()
        reachFirstRead(&machine, at: t0)
        // A stop is acted on between passes: this pass still commits and writes its PUBACKs.
        machine.stopRequested()
        #expect(machine.handle(.read(moreWaiting: false), at: t0) == Step(.commit))
        #expect(machine.handle(.commitSucceeded, at: t0) == Step(.write))
        #expect(machine.handle(.wrote, at: t0) == Step(.commit))
        #expect(machine.handle(.commitSucceeded, at: t0) == Step(.exit(disconnectingGracefully: true)))
    }

    @Test func aStopWithAFailedCommitOrNoConnectionEndsWithoutDisconnecting() {
        var failing = connectedMachine()
        failing.stopRequested()
        #expect(failing.handle(.wrote, at: t0) == Step(.commit))
        let failed = failing.handle(.commitFailed(error: "EIO"), at: t0)
        #expect(failed == Step([.commitFailed(error: "EIO", suppressed: 0)], .exit(disconnectingGracefully: false)))
        var disconnected = makeMachine()
        disconnected.stopRequested()
        #expect(disconnected.handle(.started, at: t0) == Step(.commit))
        #expect(disconnected.handle(.commitSucceeded, at: t0) == Step(.exit(disconnectingGracefully: false)))
    }
}
