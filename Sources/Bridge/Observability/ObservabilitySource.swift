// iotflow-bridge: what the HTTP endpoint serves, behind one protocol.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore

/// The answers of `/metrics`, `/health`, `/ready` and `/devices`. Called from the HTTP server's
/// event loop, never from the MQTT or writer threads; each call reads the bridge's counters,
/// buffer and device table at that moment and must not block for long.
public protocol ObservabilitySource: Sendable {
    /// The Prometheus text exposition (format 0.0.4), every name prefixed `iotflow_bridge_`.
    func metricsText() -> String
    /// The health report now.
    func health() async -> HealthReport
    /// True once the buffer is recovered and the broker granted the first subscription.
    var isReady: Bool { get }
    /// The devices silent for longer than `silence`, longest silent first.
    func devices(silentFor silence: Duration) -> DeviceListing
}
