// iotflow-bridge: a full buffer pauses intake instead of dropping; the broker holds the rest. Unless
// the operator chose `buffer.overflow: drop_oldest`: then the oldest go, counted and logged.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import BridgeTestSupport
import Foundation
import InMemoryLogging
import Logging
import Testing

/// mosquitto, a sink that answers 503 (as InfluxDB 2.x does when it is overloaded) until told to
/// accept, and the bridge with budgets that 20,000 messages overflow: the memory buffer holds
/// 1 MiB; the durable one may take 2 MiB of disk (and reads batches through a 1 MiB window, so
/// it also spills and reloads from its files).
private struct FullBufferSetup {
    let broker: MosquittoBroker
    let accepted = AcceptedBodies(accepting: false)
    let sink: FakeInfluxServer
    let bridge: BridgeUnderTest

    init(durable: Bool, overflow: BufferConfiguration.OverflowPolicy) async throws {
        try Integration.requireServers()
        broker = try MosquittoBroker()
        try await broker.start()
        sink = try FakeInfluxServer { [accepted] in
            accepted.answer($0, refusal: .v2Error(status: 503, code: "unavailable", message: "busy"))
        }
        var configuration = testConfiguration(
            brokerPort: broker.port,
            influx: InfluxConfiguration(url: sink.baseURL.absoluteString)
        )
        configuration.buffer.durable = durable
        configuration.buffer.overflow = overflow
        configuration.buffer.maxBytes = 1024 * 1024
        configuration.buffer.maxDiskBytes = 2 * 1024 * 1024
        configuration.influxdb.maxBatchBytes = 256 * 1024
        configuration.mapping.maxPayloadBytes = 4096
        bridge = try await BridgeUnderTest(configuration)
    }

    /// About 95 bytes a point (115 with the durable record): more than either budget holds.
    func publishTwentyThousand() async throws {
        try await publish(port: broker.port, devices: 100, count: 20_000)
    }

    /// The `seq` of every point in an accepted (204) request, in the order they arrived.
    var acceptedSequenceNumbers: [String] {
        accepted.lines.compactMap { $0.split(separator: "seq=").last?.split(separator: " ").first.map(String.init) }
    }
}

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(3)))
struct BackpressureTests {
    @Test(arguments: [false, true])
    func aFullBufferPausesIntakeAndEverythingLandsAfterRecovery(durable: Bool) async throws {
        let setup = try await FullBufferSetup(durable: durable, overflow: .pause)
        let bridge = setup.bridge
        try await setup.publishTwentyThousand()
        try await eventually("intake paused") {
            bridge.messages(atLeast: .warning).contains("Buffer full: intake paused, the broker queues for the bridge.")
        }
        let receivedWhilePaused = bridge.counters.messagesReceived
        #expect(receivedWhilePaused < 20_000)
        #expect(bridge.application.buffer.occupancy.bytes <= (durable ? 2 : 1) * 1024 * 1024)

        setup.accepted.startAccepting()
        try await eventually("20,000 points written") { bridge.counters.pointsWritten == 20_000 }
        try await bridge.stop()

        // Every sequence number arrived in an accepted request, once.
        let sequenceNumbers = setup.acceptedSequenceNumbers
        #expect(Set(sequenceNumbers).count == 20_000 && sequenceNumbers.count == 20_000)
        #expect(bridge.counters.pointsDropped == 0 && bridge.counters.messagesRefused.values.allSatisfy { $0 == 0 })
        #expect(bridge.messages(atLeast: .notice).contains("Buffer has room again: intake resumed."))
    }

    /// The same load and budgets with `buffer.overflow: drop_oldest`: intake never pauses, the
    /// oldest points not being sent are dropped, counted and logged, and the newest all land.
    @Test(arguments: [false, true])
    func dropOldestKeepsReadingAndCountsWhatItDropped(durable: Bool) async throws {
        let setup = try await FullBufferSetup(durable: durable, overflow: .dropOldest)
        let bridge = setup.bridge
        try await setup.publishTwentyThousand()
        try await eventually("20,000 messages read") { bridge.counters.messagesReceived == 20_000 }
        let dropped = bridge.counters.pointsDropped
        #expect(dropped > 0)
        #expect(
            bridge.messages(atLeast: .warning).contains(
                "Buffer full: dropped the oldest points not yet sent (buffer.overflow: drop_oldest)."
            )
        )
        #expect(
            !bridge.messages(atLeast: .warning).contains(
                "Buffer full: intake paused, the broker queues for the bridge."
            )
        )

        setup.accepted.startAccepting()
        try await eventually("every point written or dropped") {
            bridge.counters.pointsWritten + bridge.counters.pointsDropped == 20_000
        }
        try await bridge.stop()
        #expect(bridge.counters.pointsDropped == dropped)
        let sequenceNumbers = setup.acceptedSequenceNumbers
        #expect(Set(sequenceNumbers).count == sequenceNumbers.count)
        #expect(sequenceNumbers.count == bridge.counters.pointsWritten)
        // The newest reading is kept, and so is the batch that was being sent when the drops began.
        #expect(sequenceNumbers.contains("19999") && sequenceNumbers.contains("0"))
    }
}
