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

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(3)))
struct BackpressureTests {
    /// The sink answers 503, as InfluxDB 2.x does when it is overloaded, until told to accept.
    /// The memory buffer holds 1 MiB; the durable one may take 2 MiB of disk (and reads
    /// batches through a 1 MiB window, so it also spills and reloads from its files).
    @Test(arguments: [false, true])
    func aFullBufferPausesIntakeAndEverythingLandsAfterRecovery(durable: Bool) async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        let accepted = AcceptedBodies(accepting: false)
        let sink = try FakeInfluxServer {
            accepted.answer($0, refusal: .v2Error(status: 503, code: "unavailable", message: "busy"))
        }
        var configuration = testConfiguration(
            brokerPort: broker.port,
            influx: InfluxConfiguration(url: sink.baseURL.absoluteString)
        )
        configuration.buffer.durable = durable
        configuration.buffer.maxBytes = 1024 * 1024
        configuration.buffer.maxDiskBytes = 2 * 1024 * 1024
        configuration.influxdb.maxBatchBytes = 256 * 1024
        configuration.mapping.maxPayloadBytes = 4096
        let bridge = try await BridgeUnderTest(configuration)

        // About 95 bytes a point (115 with the durable record): 20,000 messages are more than
        // either budget holds.
        try await publish(port: broker.port, devices: 100, count: 20_000)
        try await eventually("intake paused") {
            bridge.messages(atLeast: .warning).contains("Buffer full: intake paused, the broker queues for the bridge.")
        }
        let receivedWhilePaused = bridge.counters.messagesReceived
        #expect(receivedWhilePaused < 20_000)
        #expect(bridge.application.buffer.occupancy.bytes <= (durable ? 2 : 1) * 1024 * 1024)

        accepted.startAccepting()
        try await eventually("20,000 points written") { bridge.counters.pointsWritten == 20_000 }
        try await bridge.stop()

        // Every sequence number arrived in an accepted (204) request, once.
        let sequenceNumbers = accepted.lines.compactMap {
            $0.split(separator: "seq=").last?.split(separator: " ").first
        }
        #expect(Set(sequenceNumbers).count == 20_000 && sequenceNumbers.count == 20_000)
        #expect(bridge.counters.pointsDropped == 0 && bridge.counters.messagesRefused.values.allSatisfy { $0 == 0 })
        #expect(bridge.messages(atLeast: .notice).contains("Buffer has room again: intake resumed."))
    }

    /// The same load and budgets with `buffer.overflow: drop_oldest`: intake never pauses, the
    /// oldest points not being sent are dropped, counted and logged, and the newest all land.
    @Test(arguments: [false, true])
    func dropOldestKeepsReadingAndCountsWhatItDropped(durable: Bool) async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        let accepted = AcceptedBodies(accepting: false)
        let sink = try FakeInfluxServer {
            accepted.answer($0, refusal: .v2Error(status: 503, code: "unavailable", message: "busy"))
        }
        var configuration = testConfiguration(
            brokerPort: broker.port,
            influx: InfluxConfiguration(url: sink.baseURL.absoluteString)
        )
        configuration.buffer.durable = durable
        configuration.buffer.overflow = .dropOldest
        configuration.buffer.maxBytes = 1024 * 1024
        configuration.buffer.maxDiskBytes = 2 * 1024 * 1024
        configuration.influxdb.maxBatchBytes = 256 * 1024
        configuration.mapping.maxPayloadBytes = 4096
        let bridge = try await BridgeUnderTest(configuration)

        try await publish(port: broker.port, devices: 100, count: 20_000)
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

        accepted.startAccepting()
        try await eventually("every point written or dropped") {
            bridge.counters.pointsWritten + bridge.counters.pointsDropped == 20_000
        }
        try await bridge.stop()
        #expect(bridge.counters.pointsDropped == dropped)
        let sequenceNumbers = accepted.lines.compactMap {
            $0.split(separator: "seq=").last?.split(separator: " ").first.map(String.init)
        }
        #expect(Set(sequenceNumbers).count == sequenceNumbers.count)
        #expect(sequenceNumbers.count == bridge.counters.pointsWritten)
        // The newest reading is kept, and so is the batch that was being sent when the drops began.
        #expect(sequenceNumbers.contains("19999") && sequenceNumbers.contains("0"))
    }
}
