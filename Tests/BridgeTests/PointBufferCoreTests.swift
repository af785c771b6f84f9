// iotflow-bridge: the point buffer's shared core: the writer's wait for points, the intake's wait
// for room, and the interrupts that end them.
// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing

@testable import Bridge

@Suite(.timeLimit(.minutes(1))) struct PointBufferCoreTests {
    /// A state that is only a count of points, ten bytes each.
    private struct Count: PointBufferState {
        var points = 0
        var occupancy: (points: Int, bytes: Int) { (points, points * 10) }
    }

    private func makeCore(points: Int = 0) -> PointBufferCore<Count> {
        PointBufferCore(Count(points: points), capacityBytes: 100, isDurable: false)
    }

    /// Runs `body` on a thread of its own.
    private func onAnotherThread(_ body: @escaping @Sendable () -> Void) {
        Thread(block: body).start()
    }

    @Test func theWriterWakesWhenThePointsItWaitsForAreHeld() {
        let core = makeCore()
        #expect(core.waitForPoints(atLeast: 0, until: .now + .seconds(50)) == 0, "already held")
        #expect(core.waitForPoints(atLeast: 1, until: .now + .milliseconds(20)) == 0, "the deadline")
        let started = ContinuousClock.now
        onAnotherThread {
            for _ in 0..<5 { core.update { $0.points += 1 } }
        }
        let held = core.waitForPoints(atLeast: 5, until: .now + .seconds(50))
        #expect(held == 5 && ContinuousClock.now - started < .seconds(50), "woken by the fifth point")
        #expect(core.occupancy == (5, 50) && core.read(\.points) == 5)
    }

    @Test func interruptingWaitsEndsTheWaitNowAndEveryLaterOne() {
        let core = makeCore(points: 2)
        let started = ContinuousClock.now
        onAnotherThread { core.interruptWaits() }
        #expect(core.waitForPoints(atLeast: 10, until: .now + .seconds(50)) == 2)
        #expect(core.waitForPoints(atLeast: 10, until: .now + .seconds(50)) == 2)
        #expect(ContinuousClock.now - started < .seconds(50), "ended by the interrupt, not the deadline")
        // Appends still wait for room: the two interrupts are separate.
        #expect(!core.waitForRoom(upTo: .milliseconds(20)) { $0.points == 0 })
    }

    @Test func theIntakeWaitsForRoomUntilAChangeMakesSomeOrItTimesOut() {
        let core = makeCore(points: 10)
        #expect(core.waitForRoom(upTo: .seconds(50)) { $0.points <= 10 }, "room already")
        #expect(!core.waitForRoom(upTo: .milliseconds(20)) { $0.points < 10 }, "the timeout")
        let started = ContinuousClock.now
        onAnotherThread { core.update { $0.points -= 4 } }
        #expect(core.waitForRoom(upTo: .seconds(50)) { $0.points <= 6 })
        #expect(ContinuousClock.now - started < .seconds(50), "woken by the removal")
    }

    @Test func interruptingAppendsEndsTheWaitForRoomNowAndEveryLaterOne() {
        let core = makeCore(points: 10)
        let started = ContinuousClock.now
        onAnotherThread { core.interruptAppends() }
        #expect(!core.waitForRoom(upTo: .seconds(50)) { $0.points < 10 })
        #expect(!core.waitForRoom(upTo: .seconds(50)) { $0.points < 10 })
        #expect(ContinuousClock.now - started < .seconds(50), "ended by the interrupt, not the timeout")
        // Room that is there is still there, and the writer's waits are not interrupted.
        #expect(core.waitForRoom(upTo: .seconds(50)) { $0.points <= 10 })
        #expect(core.waitForPoints(atLeast: 11, until: .now + .milliseconds(20)) == 10)
    }
}
