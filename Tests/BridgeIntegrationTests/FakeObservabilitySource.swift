// iotflow-bridge: a scripted ObservabilitySource for the admin endpoint and status tests.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import Synchronization

/// Answers with a fixed health status and readiness; `/devices` lists one device and records
/// the silence it was asked for. With `healthGate`, `health()` waits for the gate to fire, so a
/// test can hold a request in flight.
final class FakeObservabilitySource: ObservabilitySource {
    let status: HealthStatus
    let isReady: Bool
    let healthGate: ReadinessEvent?
    /// Fires when `health()` has been called (the request is in flight).
    let healthAsked = ReadinessEvent()
    private let silences = Mutex<[Duration]>([])

    init(status: HealthStatus = .pass, isReady: Bool = true, healthGate: ReadinessEvent? = nil) {
        self.status = status
        self.isReady = isReady
        self.healthGate = healthGate
    }

    /// The silences `/devices` was asked for, in order.
    var askedSilences: [Duration] { silences.withLock { $0 } }

    func metricsText() -> String {
        "# TYPE iotflow_bridge_messages_received_total counter\niotflow_bridge_messages_received_total 42\n"
    }

    func health() async -> HealthReport {
        healthAsked.fire()
        if let healthGate { await healthGate.wait() }
        return HealthReport(
            version: "test",
            checks: [
                "mqtt": HealthCheck(status: .pass, message: "connected"),
                "influxdb": HealthCheck(status: status, message: "influx is \(status)", version: "1.6.7"),
                "buffer": HealthCheck(status: .pass, message: "empty"),
            ],
            bridge: BridgeFigures(
                bufferedPoints: 0,
                bufferedBytes: 0,
                bufferCapacityBytes: 1024,
                oldestPointAgeSeconds: nil,
                rateWindowSeconds: 60,
                messagesPerSecond: 1,
                pointsWrittenPerSecond: 1,
                messagesRefusedPerSecond: 0,
                devicesSeen: 1,
                devicesStale: 1,
                staleAfterSeconds: 600
            )
        )
    }

    func devices(silentFor silence: Duration) -> DeviceListing {
        silences.withLock { $0.append(silence) }
        let device = DeviceEntry(
            deviceID: "dev-quiet",
            lastSeen: "2024-01-01T12:00:00.000Z",
            silentSeconds: 900,
            messages: 3
        )
        return DeviceListing(
            staleAfterSeconds: Double(silence.components.seconds),
            devices: [device],
            tracked: 1,
            untrackedMessages: 0
        )
    }
}
