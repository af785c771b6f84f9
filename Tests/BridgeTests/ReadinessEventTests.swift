// iotflow-bridge: the one-time event async code awaits ("subscribed").
// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing

@testable import Bridge

@Suite(.timeLimit(.minutes(1))) struct ReadinessEventTests {
    @Test func firingWakesEveryWaiterBeforeAndAfter() async {
        let event = ReadinessEvent()
        let (waiting, announce) = AsyncStream.makeStream(of: Void.self)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    announce.yield()
                    await event.wait()
                }
            }
            // Every waiter has started before the event fires, from a thread of its own (as
            // the MQTT thread fires it), so most of them wait on the list `fire` empties.
            var started = 0
            for await _ in waiting {
                started += 1
                if started == 8 { break }
            }
            Thread { event.fire() }.start()
            await group.waitForAll()
        }
        // Afterwards a wait returns at once, and firing again changes nothing.
        event.fire()
        await event.wait()
    }
}
