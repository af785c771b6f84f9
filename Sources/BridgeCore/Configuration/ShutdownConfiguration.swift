// iotflow-bridge: what the bridge does when asked to stop.
// SPDX-License-Identifier: Apache-2.0

/// The `shutdown` section.
public struct ShutdownConfiguration: Equatable, Sendable {
    /// How long the writer keeps flushing after SIGTERM before it gives up, 0 s – 10 min
    /// (`shutdown.drain`). Keep it below systemd's `TimeoutStopSec` (30 s in the shipped unit).
    public var drain: Duration

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(drain: Duration = .seconds(15)) {
        self.drain = drain
    }
}

extension ShutdownConfiguration {
    /// The section's keys, in file order.
    static let keys: [SectionKey<Self>] = [
        .key("drain", \.drain, .duration, .within(.zero...Duration.seconds(600)))
    ]
}
