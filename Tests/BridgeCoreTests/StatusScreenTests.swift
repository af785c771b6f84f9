// iotflow-bridge: the screen `iotflow-bridge status` prints.
// SPDX-License-Identifier: Apache-2.0

import Testing

@testable import BridgeCore

@Suite struct StatusScreenTests {
    private func report(influx: HealthStatus = .pass, oldest: Double? = 12) -> HealthReport {
        HealthReport(
            version: "0.1.0",
            checks: [
                "mqtt": HealthCheck(status: .pass, message: "connected to 127.0.0.1:1883"),
                "influxdb": HealthCheck(status: influx, message: "last write accepted", version: "1.6.7"),
                "buffer": HealthCheck(status: .pass, message: "1% full"),
            ],
            bridge: BridgeFigures(
                bufferedPoints: 1234,
                bufferedBytes: 1_572_864,
                bufferCapacityBytes: 67_108_864,
                oldestPointAgeSeconds: oldest,
                rateWindowSeconds: 60,
                messagesPerSecond: 12.5,
                pointsWrittenPerSecond: 50,
                messagesRefusedPerSecond: 0.25,
                devicesSeen: 150,
                devicesStale: 2,
                staleAfterSeconds: 600
            )
        )
    }

    private func listing(count: Int) -> DeviceListing {
        let devices = (0..<count).map {
            DeviceEntry(deviceID: "dev-\($0)", lastSeen: "2024-01-01T12:00:00.000Z", silentSeconds: 3720, messages: 9)
        }
        return DeviceListing(staleAfterSeconds: 600, devices: devices, tracked: 150, untrackedMessages: 0)
    }

    @Test func showsTheVerdictChecksFiguresAndDevices() {
        let text = StatusScreen.render(report(influx: .warn), listing(count: 2))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "iotflow-bridge 0.1.0: WARN (warn: influxdb)")
        #expect(lines[2].hasPrefix("  mqtt       pass  connected to 127.0.0.1:1883"))
        #expect(lines[3] == "  influxdb   warn  last write accepted (version 1.6.7)")
        #expect(lines[4].hasPrefix("  buffer     pass"))
        #expect(
            text.contains(
                "  rates      over the last 1m: 12.5 messages/s, 50.0 points written/s, 0.3 refused/s"
            )
        )
        #expect(text.contains("  buffer     1234 points, 1.5 MiB of 64.0 MiB (2.3% full)"))
        #expect(text.contains("  lag        12s (oldest buffered point)"))
        #expect(text.contains("  devices    150 seen, 2 silent for over 10m"))
        #expect(text.contains("Silent for over 10m (2, longest first):"))
        #expect(text.contains("  dev-0     2024-01-01T12:00:00.000Z 1h 2m"))
        #expect(text.hasSuffix("\n"))
    }

    @Test func listsAtMostTenDevicesAndCountsTheRest() {
        let text = StatusScreen.render(report(), listing(count: 13))
        #expect(text.contains("dev-9 "))
        #expect(!text.contains("dev-10 "))
        #expect(text.contains("… and 3 more"))
    }

    @Test func saysSoWhenNothingIsBufferedOrSilent() {
        let text = StatusScreen.render(report(oldest: nil), listing(count: 0))
        #expect(text.contains("  lag        none buffered"))
        #expect(text.contains("No device silent for over 10m."))
    }

    @Test func aDeviceIdCannotSendEscapeSequencesToTheTerminal() {
        var devices = listing(count: 1)
        devices.devices[0].deviceID = "evil\u{1B}[2Jdev"
        let text = StatusScreen.render(report(), devices)
        #expect(!text.unicodeScalars.contains("\u{1B}"))
        #expect(text.contains("evil?[2Jdev"))
    }

    @Test(arguments: [(HealthStatus.pass, Int32(0)), (.warn, 1), (.fail, 2)])
    func exitCodes(status: HealthStatus, code: Int32) {
        #expect(StatusScreen.exitCode(for: status) == code)
    }

    @Test(arguments: [(0.4, "0s"), (42, "42s"), (60, "1m"), (303, "5m 3s"), (7500, "2h 5m"), (273_600, "3d 4h")])
    func durations(seconds: Double, text: String) {
        #expect(StatusScreen.duration(seconds) == text)
    }

    @Test(arguments: [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (67_108_864, "64.0 MiB")])
    func bytes(count: Int, text: String) {
        #expect(StatusScreen.bytes(count) == text)
    }
}
