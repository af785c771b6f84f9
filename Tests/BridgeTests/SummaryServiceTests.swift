// iotflow-bridge: the periodic summary line, and the last one when the service stops.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import InMemoryLogging
import Logging
import Testing

@testable import Bridge

@Suite(.timeLimit(.minutes(1))) struct SummaryServiceTests {
    /// A buffer handle holding a fixed number of points.
    private struct Held: PointBufferState {
        var occupancy: (points: Int, bytes: Int)
    }

    private func summaries(_ logs: InMemoryLogHandler) -> [Logger.Metadata] {
        logs.entries.filter { "\($0.message)" == "Summary." }.map(\.metadata)
    }

    private func makeService(
        interval: Duration,
        counters: BridgeCounters = BridgeCounters(),
        logs: InMemoryLogHandler
    ) -> SummaryService {
        SummaryService(
            interval: interval,
            buffer: PointBufferCore(Held(occupancy: (3, 120)), capacityBytes: 1000, isDurable: false),
            counters: counters,
            logger: Logger(label: "test") { _ in logs }
        )
    }

    @Test func theLineCarriesTheCountersAndTheBuffer() {
        let counters = BridgeCounters()
        BridgeCounters.add(7, to: counters.messagesReceived)
        BridgeCounters.add(5, to: counters.pointsWritten)
        BridgeCounters.add(1, to: counters.breakerState)
        counters.countRefusals([MappingRefusal(.nonFinite, field: "v"), MappingRefusal(.malformedJSON)])
        let logs = InMemoryLogHandler()
        makeService(interval: .seconds(60), counters: counters, logs: logs).logSummary()
        let lines = summaries(logs)
        #expect(lines.count == 1 && logs.entries.first?.level == .info)
        let line = lines.first ?? [:]
        #expect(line["messages_received"] == "7" && line["points_written"] == "5" && line["points_dropped"] == "0")
        #expect(line["messages_refused"] == "2" && line["breaker_state"] == "open")
        #expect(line["buffer_points"] == "3" && line["buffer_bytes"] == "120" && line["buffer_limit"] == "1000")
    }

    @Test func stoppingLogsOneLastLine() async throws {
        let logs = InMemoryLogHandler()
        let service = makeService(interval: .seconds(3600), logs: logs)
        let running = Task { try await service.run() }
        running.cancel()
        try await running.value
        #expect(summaries(logs).count == 1)
    }

    @Test func aLineIsLoggedEveryInterval() async throws {
        let logs = InMemoryLogHandler()
        let service = makeService(interval: .milliseconds(10), logs: logs)
        let running = Task { try await service.run() }
        let deadline = ContinuousClock.now + .seconds(30)
        while summaries(logs).count < 3 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        running.cancel()
        try await running.value
        #expect(summaries(logs).count >= 4, "three periodic lines and the last one")
    }
}
