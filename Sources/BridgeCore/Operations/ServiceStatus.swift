// iotflow-bridge: the one line systemd shows as the bridge's status.
// SPDX-License-Identifier: Apache-2.0

/// What `systemctl status` shows on its `Status:` line (`STATUS=`): whether MQTT is connected,
/// how many points are buffered, and whether the writer is writing or backing off.
///
/// For example: `MQTT connected; 1200 points buffered; writing to InfluxDB.` or
/// `MQTT disconnected; 53000 points buffered; backing off (breaker open).`
public struct ServiceStatus: Equatable, Sendable {
    /// Where the bridge is in its life.
    public enum Phase: Equatable, Sendable {
        /// Started; waiting for the first subscription and for both threads to run.
        case starting
        /// Ready: reading from the broker and writing to InfluxDB.
        case running
        /// Stopping: intake ends, and the writer drains what is buffered.
        case stopping
    }

    public var phase: Phase
    /// Whether the MQTT thread holds a connection to the broker.
    public var mqttConnected: Bool
    /// Points waiting in the buffer, 0 or more.
    public var bufferedPoints: Int
    /// Whether the writer is waiting out a backoff (after a failed write, or while the breaker is open).
    public var backingOff: Bool
    /// Whether the circuit breaker is open (or probing).
    public var breakerOpen: Bool

    /// A status from the values the threads publish.
    public init(phase: Phase, mqttConnected: Bool, bufferedPoints: Int, backingOff: Bool, breakerOpen: Bool) {
        self.phase = phase
        self.mqttConnected = mqttConnected
        self.bufferedPoints = bufferedPoints
        self.backingOff = backingOff
        self.breakerOpen = breakerOpen
    }

    /// The `STATUS=` line: one sentence, no line breaks.
    public var line: String {
        let points = "\(bufferedPoints) point\(bufferedPoints == 1 ? "" : "s") buffered"
        switch phase {
        case .starting:
            return "Starting: \(mqttConnected ? "MQTT connected, subscribing" : "connecting to MQTT"); \(points)."
        case .stopping:
            return "Stopping: draining \(points)."
        case .running:
            let writer =
                backingOff
                ? "backing off\(breakerOpen ? " (breaker open)" : "")"
                : "writing to InfluxDB"
            return "MQTT \(mqttConnected ? "connected" : "disconnected"); \(points); \(writer)."
        }
    }
}
