// iotflow-bridge: how much the bridge holds while InfluxDB is slow or away.
// SPDX-License-Identifier: Apache-2.0

/// The `buffer` section.
public struct BufferConfiguration: Equatable, Sendable {
    /// Encoded points held in memory, in bytes, 1 MiB – 64 GiB (`buffer.max_bytes`). When full,
    /// the bridge stops reading from the broker, which queues for it in the persistent session.
    public var maxBytes: Int

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(maxBytes: Int = 64 * 1024 * 1024) {
        self.maxBytes = maxBytes
    }
}
