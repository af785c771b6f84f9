// iotflow-bridge: how topics and JSON payloads become points.
// SPDX-License-Identifier: Apache-2.0

/// The `mapping` section.
public struct MappingConfiguration: Equatable, Sendable {
    /// The topic template (`mapping.topic_template`): `{measurement}`, `{tag}` and `{_}` levels.
    public var topicTemplate: String
    /// Payload keys read as the point's time (`mapping.timestamp_keys`), first match wins.
    public var timestampKeys: [String]
    /// Largest payload mapped, in bytes, 1 – 16 MiB (`mapping.max_payload_bytes`).
    public var maxPayloadBytes: Int

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(
        topicTemplate: String = "iotflow/devices/{device_id}/telemetry/{measurement}",
        timestampKeys: [String] = ["timestamp", "time", "ts"],
        maxPayloadBytes: Int = 65_536
    ) {
        self.topicTemplate = topicTemplate
        self.timestampKeys = timestampKeys
        self.maxPayloadBytes = maxPayloadBytes
    }
}
