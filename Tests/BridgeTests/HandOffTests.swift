// iotflow-bridge: the one-shot hand-off of a value to the thread that will own it.
// SPDX-License-Identifier: Apache-2.0

import Foundation
import Synchronization
import Testing

@testable import Bridge

@Suite(.timeLimit(.minutes(1))) struct HandOffTests {
    /// A value that is not `Sendable`, as a buffer half is not.
    private final class Half {
        var points = 3
    }

    @Test func theValueIsTakenOnceAndThenNeverAgain() {
        let handOff = HandOff(Half())
        let taken = handOff.take()
        #expect(taken?.points == 3)
        #expect(handOff.take() == nil)
    }

    @Test func ofTakersOnManyThreadsExactlyOneGetsTheValue() {
        let handOff = HandOff(Half())
        let winners = Mutex(0)
        let finished = DispatchGroup()
        for _ in 0..<8 {
            finished.enter()
            Thread {
                if handOff.take() != nil { winners.withLock { $0 += 1 } }
                finished.leave()
            }.start()
        }
        #expect(finished.wait(timeout: .now() + 50) == .success)
        #expect(winners.withLock { $0 } == 1)
    }
}
