// iotflow-bridge: the effective configuration as YAML, secrets redacted (`print-config`).
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Foundation

extension BridgeConfiguration {
    /// The configuration as YAML that `load(filePath:environment:)` reads back to the same value,
    /// except that passwords and tokens read `<redacted>` and unset optional keys are comments.
    public func renderedYAML() -> String {
        var text = ""
        func section(_ name: String, _ entries: [(String, String?)]) {
            text += "\(name):\n"
            for (key, value) in entries {
                text += value.map { "  \(key): \($0)\n" } ?? "  # \(key): (not set)\n"
            }
        }
        func quoted(_ string: String) -> String {
            "\"\(string.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\""
        }
        func list(_ items: [String]) -> String { "[\(items.map(quoted).joined(separator: ", "))]" }
        func duration(_ value: Duration) -> String { ConfigDuration.format(value) }
        func secret(_ value: Secret?) -> String? { value.map { _ in "\"<redacted>\"" } }

        section(
            "mqtt",
            [
                ("host", quoted(mqtt.host)), ("port", "\(mqtt.port)"), ("client_id", quoted(mqtt.clientID)),
                ("username", mqtt.username.map(quoted)), ("password", secret(mqtt.password)),
                ("password_file", mqtt.passwordFile.map(quoted)), ("keepalive", duration(mqtt.keepalive)),
                ("qos", "\(mqtt.qos)"), ("clean_session", "\(mqtt.cleanSession)"),
                ("protocol", quoted(mqtt.protocolVersion.rawValue)),
                ("session_expiry", mqtt.protocolVersion == .v5 ? mqtt.sessionExpiry.map(duration) ?? "never" : nil),
                ("retained", mqtt.retained.rawValue),
                ("topics", list(mqtt.topics)),
                ("reconnect_min", duration(mqtt.reconnectMin)), ("reconnect_max", duration(mqtt.reconnectMax)),
            ]
        )
        section(
            "mapping",
            [
                ("routes", list(mapping.routes)), ("topic_tag", "\(mapping.topicTag)"),
                ("timestamp_keys", list(mapping.timestampKeys)), ("max_past", duration(mapping.maxPast)),
                ("max_future", duration(mapping.maxFuture)), ("timestamp_policy", mapping.timestampPolicy.rawValue),
                ("string_policy", mapping.stringPolicy.rawValue), ("field_types", list(mapping.fieldTypes)),
                ("device_registry", mapping.deviceRegistry.map(quoted)),
                ("max_payload_bytes", "\(mapping.maxPayloadBytes)"), ("max_fields", "\(mapping.maxFields)"),
                ("max_depth", "\(mapping.maxDepth)"), ("max_key_bytes", "\(mapping.maxKeyBytes)"),
                ("max_string_bytes", "\(mapping.maxStringBytes)"), ("max_field_types", "\(mapping.maxFieldTypes)"),
                ("max_points_per_message", "\(mapping.maxPointsPerMessage)"),
                ("max_encoded_bytes", "\(mapping.maxEncodedBytes)"),
            ]
        )
        section(
            "influxdb",
            [
                ("api", influxdb.api.rawValue), ("url", quoted(influxdb.url)),
                ("failover_urls", list(influxdb.failoverURLs)),
                ("database", quoted(influxdb.database)),
                ("retention_policy", influxdb.retentionPolicy.map(quoted)), ("org", quoted(influxdb.org)),
                ("bucket", quoted(influxdb.bucket)), ("token", secret(influxdb.token)),
                ("token_file", influxdb.tokenFile.map(quoted)), ("username", influxdb.username.map(quoted)),
                ("password", secret(influxdb.password)), ("timeout", duration(influxdb.timeout)),
                ("connect_timeout", duration(influxdb.connectTimeout)), ("gzip", "\(influxdb.gzip)"),
                ("batch_size", "\(influxdb.batchSize)"), ("max_batch_bytes", "\(influxdb.maxBatchBytes)"),
                ("flush_interval", duration(influxdb.flushInterval)), ("flush_jitter", duration(influxdb.flushJitter)),
            ]
        )
        section("retry", [("initial", duration(retry.initial)), ("max", duration(retry.maximum))])
        section(
            "breaker",
            [
                ("failures", "\(breaker.failures)"), ("open_for", duration(breaker.openFor)),
                ("max_open_for", duration(breaker.maximumOpenFor)),
            ]
        )
        section("delivery", [("max_settle_time", duration(delivery.maxSettleTime))])
        section(
            "dead_letters",
            [
                ("path", quoted(deadLetters.path)), ("max_bytes", "\(deadLetters.maxBytes)"),
                ("max_files", "\(deadLetters.maxFiles)"), ("refused_path", quoted(deadLetters.refusedPath)),
                ("refused_max_bytes", "\(deadLetters.refusedMaxBytes)"),
                ("refused_max_files", "\(deadLetters.refusedMaxFiles)"),
            ]
        )
        section(
            "buffer",
            [
                ("durable", "\(buffer.durable)"), ("path", quoted(buffer.path)), ("max_bytes", "\(buffer.maxBytes)"),
                ("max_disk_bytes", "\(buffer.maxDiskBytes)"), ("fsync", buffer.fsync.rawValue),
                ("fsync_interval", duration(buffer.fsyncInterval)), ("overflow", buffer.overflow.rawValue),
            ]
        )
        section(
            "logging",
            [
                ("level", logging.level.rawValue), ("summary_interval", duration(logging.summaryInterval)),
            ]
        )
        section("shutdown", [("drain", duration(shutdown.drain))])
        return text
    }
}
