// iotflow-bridge: the latest value published from any thread, taken once per change.
// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing

@testable import Bridge

@Suite(.timeLimit(.minutes(1))) struct LatestValueHandoffTests {
    @Test func onlyAChangeIsTakenAndThenTheLatestValue() {
        let handoff = LatestValueHandoff("initial")
        var seen = 0
        #expect(handoff.take(ifNewerThan: &seen) == nil, "generation 0 is what the taker starts with")
        #expect(handoff.current == "initial")
        handoff.publish("a")
        handoff.publish("b")
        #expect(handoff.current == "b")
        #expect(handoff.take(ifNewerThan: &seen) == "b")
        #expect(handoff.take(ifNewerThan: &seen) == nil, "taken once")
        handoff.publish("b")
        #expect(handoff.take(ifNewerThan: &seen) == "b", "a publication is a change even with an equal value")
        // A second taker keeps its own place.
        var other = 0
        #expect(handoff.take(ifNewerThan: &other) == "b")
    }

    @Test func valuesPublishedOnAnotherThreadAreTakenInTheirOrder() {
        let handoff = LatestValueHandoff(0)
        Thread {
            for value in 1...10_000 { handoff.publish(value) }
        }.start()
        // The taker sees values that only grow, and the last one, within the deadline.
        var seen = 0
        var taken: [Int] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while taken.last != 10_000 && ContinuousClock.now < deadline {
            if let value = handoff.take(ifNewerThan: &seen) { taken.append(value) }
        }
        #expect(taken.last == 10_000)
        #expect(taken == taken.sorted() && Set(taken).count == taken.count)
    }
}
