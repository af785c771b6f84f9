// iotflow-bridge: the observatory's answers from counters, buffer and device table.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@testable import Bridge

@Suite struct BridgeObservatoryTests {
    private func observatory(_ counters: BridgeCounters, _ buffer: PointBuffer) -> BridgeObservatory {
        BridgeObservatory(
            counters: counters,
            buffer: buffer.handle,
            subscribed: ReadinessEvent(),
            staleAfter: .seconds(600)
        )
    }

    /// The value of the sample line `name` (labels included) in `text`.
    private func value(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    @Test func scrapesAddOnlyWhatTheCountersGainedSinceTheLastScrape() {
        let counters = BridgeCounters()
        let observatory = observatory(counters, .memory(capacityBytes: 1024))
        BridgeCounters.add(5, to: counters.messagesReceived)
        BridgeCounters.add(3, to: counters.pointsWritten)
        counters.status.requestFinished(.accepted, at: .now)
        let first = observatory.metricsText()
        #expect(value("iotflow_bridge_messages_received_total", in: first) == 5)
        #expect(value("iotflow_bridge_points_written_total", in: first) == 3)
        #expect(value(#"iotflow_bridge_write_requests_total{outcome="ok"}"#, in: first) == 1)
        BridgeCounters.add(7, to: counters.messagesReceived)
        counters.status.requestFinished(.retryable(status: nil, message: "refused"), at: .now)
        let second = observatory.metricsText()
        #expect(value("iotflow_bridge_messages_received_total", in: second) == 12)
        #expect(value("iotflow_bridge_points_written_total", in: second) == 3)
        #expect(value(#"iotflow_bridge_write_requests_total{outcome="retry"}"#, in: second) == 1)
        #expect(value(#"iotflow_bridge_write_requests_total{outcome="ok"}"#, in: second) == 1)
        // A scrape with no change changes nothing.
        #expect(value("iotflow_bridge_messages_received_total", in: observatory.metricsText()) == 12)
    }

    @Test func everyMetricHasHelpAndTheBufferGaugesFollowTheBuffer() throws {
        let counters = BridgeCounters()
        let buffer = PointBuffer.memory(capacityBytes: 1024)
        let observatory = observatory(counters, buffer)
        let stamp = WallClock.nanoseconds() - 30_000_000_000
        let line = Array("m v=1 \(stamp)\n".utf8)
        let intake = try #require(buffer.intake.take())
        let appended = line.withUnsafeBufferPointer { bytes in
            [UInt32(line.count)].withUnsafeBufferPointer {
                intake.append(lines: bytes, lineLengths: $0, waitingUpTo: .zero)
            }
        }
        #expect(appended)
        try intake.commit()
        let text = observatory.metricsText()
        #expect(value("iotflow_bridge_buffer_points", in: text) == 1)
        #expect(value("iotflow_bridge_buffer_capacity_bytes", in: text) == 1024)
        let age = try #require(value("iotflow_bridge_oldest_point_age_seconds", in: text))
        #expect(age >= 30 && age < 40)
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
        let helps = Set(
            text.split(separator: "\n").filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] }
        )
        #expect(types.count >= 23)
        for type in types { #expect(helps.contains(type.split(separator: " ")[2]), "\(type)") }
    }

    @Test func devicesAreListedFromTheTable() {
        let counters = BridgeCounters(maxDevices: 1)
        let observatory = observatory(counters, .memory(capacityBytes: 64))
        let old = WallClock.nanoseconds() - 120_000_000_000
        for device in ["dev-1", "dev-2"] {
            Array(device.utf8).withUnsafeBytes { counters.devices.record(deviceBytes: $0, at: old) }
        }
        let listing = observatory.devices(silentFor: .seconds(60))
        #expect(listing.devices.map(\.deviceID) == ["dev-1"])
        #expect(listing.tracked == 1 && listing.untrackedMessages == 1)
        #expect(listing.devices.first?.messages == 1 && (listing.devices.first?.silentSeconds ?? 0) >= 120)
        #expect(observatory.devices(silentFor: .seconds(600)).devices.isEmpty)
    }
}
