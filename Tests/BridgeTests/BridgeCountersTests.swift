// iotflow-bridge: the counters every part of the bridge bumps and the summary reads.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import Testing

@testable import Bridge

@Suite(.timeLimit(.minutes(1))) struct BridgeCountersTests {
    @Test func eachCounterReadsBackUnderItsOwnName() {
        let counters = BridgeCounters()
        let zero = counters.snapshot()
        #expect(zero.messagesReceived == 0 && zero.pointsWritten == 0)
        #expect(zero.messagesRefused.values.allSatisfy { $0 == 0 })
        // A different power of two in each, so a counter read under another's name shows.
        let bumps: [(Int, KeyPath<BridgeCounters.Snapshot, Int>)] = [
            (1, \.messagesReceived), (2, \.pointsReceived), (4, \.fieldsSkipped), (8, \.stringsLeftOut),
            (16, \.timestampsReplaced), (32, \.pointsWritten), (64, \.pointsRejected), (128, \.pointsDropped),
            (256, \.writeErrors), (512, \.requests), (1024, \.breakerOpened), (2048, \.breakerState),
            (4096, \.retainedSkipped), (8192, \.refusedUnrecorded),
        ]
        BridgeCounters.add(1, to: counters.messagesReceived)
        BridgeCounters.add(2, to: counters.pointsReceived)
        BridgeCounters.add(4, to: counters.fieldsSkipped)
        BridgeCounters.add(8, to: counters.stringsLeftOut)
        BridgeCounters.add(16, to: counters.timestampsReplaced)
        BridgeCounters.add(32, to: counters.pointsWritten)
        BridgeCounters.add(64, to: counters.pointsRejected)
        BridgeCounters.add(128, to: counters.pointsDropped)
        BridgeCounters.add(256, to: counters.writeErrors)
        BridgeCounters.add(512, to: counters.requests)
        BridgeCounters.add(1024, to: counters.breakerOpened)
        BridgeCounters.add(2048, to: counters.breakerState)
        BridgeCounters.add(4096, to: counters.retainedSkipped)
        BridgeCounters.add(8192, to: counters.refusedUnrecorded)
        let snapshot = counters.snapshot()
        for (amount, counter) in bumps {
            #expect(snapshot[keyPath: counter] == amount, "\(counter)")
        }
    }

    @Test func refusalsAreCountedPerReason() {
        let counters = BridgeCounters()
        counters.countRefusals([MappingRefusal(.nonFinite, field: "a"), MappingRefusal(.nonFinite, field: "b")])
        counters.countRefusals([MappingRefusal(.malformedJSON)])
        counters.countRefusals([MappingRefusal]())
        let refused = counters.snapshot().messagesRefused
        #expect(refused.count == RefusalReason.allCases.count)
        #expect(refused[.nonFinite] == 2 && refused[.malformedJSON] == 1)
        #expect(refused.values.reduce(0, +) == 3)
    }

    @Test func bumpsFromManyThreadsAreAllCounted() async {
        let counters = BridgeCounters()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        Thread {
                            for _ in 0..<10_000 {
                                BridgeCounters.add(1, to: counters.pointsReceived)
                                counters.countRefusals(CollectionOfOne(MappingRefusal(.tooManyFields)))
                            }
                            done.resume()
                        }.start()
                    }
                }
            }
        }
        let snapshot = counters.snapshot()
        #expect(snapshot.pointsReceived == 40_000 && snapshot.messagesRefused[.tooManyFields] == 40_000)
    }
}
