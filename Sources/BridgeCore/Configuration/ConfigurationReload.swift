// iotflow-bridge: what a reload (SIGHUP) changes in the running bridge, key by key.
// SPDX-License-Identifier: Apache-2.0

/// What a reload does with a new, valid configuration, decided key by key.
///
/// The `influxdb` section is the one a running bridge takes on: its connection keys from the
/// writer's next request, `batch_size`, `max_batch_bytes`, `flush_interval` and `flush_jitter` from
/// its next batch. Every other key is read once, at start: a change to one is listed in
/// `restartKeys`. The configuration that runs after the reload is the running one with the new
/// `influxdb` section, and it must itself be valid: `buffer.max_bytes` must stay at least twice
/// `influxdb.max_batch_bytes` with the buffer that runs, not only with the one the file asks for.
/// A pure value.
public struct ConfigurationReload: Equatable, Sendable {
    /// What runs once the reload is applied.
    public let configuration: BridgeConfiguration
    /// The changed keys the running bridge takes on, in file order (dotted, `influxdb.batch_size`).
    public let appliedKeys: [String]
    /// The changed keys that take effect only after a restart, in file order.
    public let restartKeys: [String]

    /// Compares `reloaded` with what runs now.
    ///
    /// - Throws: the problems of the configuration that would run, when the new `influxdb` section
    ///   does not fit the running values of the keys that need a restart.
    public init(running: BridgeConfiguration, reloaded: BridgeConfiguration) throws(ConfigurationError) {
        var next = running
        next.influxdb = reloaded.influxdb
        try next.validate()
        configuration = next
        let changed = Self.changedKeys(from: running, to: reloaded)
        appliedKeys = changed.filter { $0.hasPrefix(Self.appliedSection) }
        restartKeys = changed.filter { !$0.hasPrefix(Self.appliedSection) }
    }

    /// Every key a configuration has, in file order, as `print-config` writes them.
    static var keys: [String] { table.map(\.name) }

    /// The keys whose values differ between `old` and `new`, in file order.
    public static func changedKeys(from old: BridgeConfiguration, to new: BridgeConfiguration) -> [String] {
        table.filter { $0.differs(old, new) }.map(\.name)
    }

    private static let appliedSection = "influxdb."

    private struct Key: Sendable {
        let name: String
        let differs: @Sendable (BridgeConfiguration, BridgeConfiguration) -> Bool
    }

    private static func key<Value: Equatable & SendableMetatype>(
        _ name: String,
        _ value: @escaping @Sendable (BridgeConfiguration) -> Value
    ) -> Key {
        Key(name: name) { value($0) != value($1) }
    }

    /// One entry per key; a test checks it against the keys `print-config` writes.
    private static let table: [Key] = [
        key("mqtt.host") { $0.mqtt.host }, key("mqtt.port") { $0.mqtt.port },
        key("mqtt.client_id") { $0.mqtt.clientID }, key("mqtt.username") { $0.mqtt.username },
        key("mqtt.password") { $0.mqtt.password }, key("mqtt.password_file") { $0.mqtt.passwordFile },
        key("mqtt.keepalive") { $0.mqtt.keepalive }, key("mqtt.qos") { $0.mqtt.qos },
        key("mqtt.clean_session") { $0.mqtt.cleanSession }, key("mqtt.protocol") { $0.mqtt.protocolVersion },
        key("mqtt.session_expiry") { $0.mqtt.sessionExpiry }, key("mqtt.retained") { $0.mqtt.retained },
        key("mqtt.topics") { $0.mqtt.topics }, key("mqtt.reconnect_min") { $0.mqtt.reconnectMin },
        key("mqtt.reconnect_max") { $0.mqtt.reconnectMax },

        key("mapping.routes") { $0.mapping.routes }, key("mapping.topic_tag") { $0.mapping.topicTag },
        key("mapping.timestamp_keys") { $0.mapping.timestampKeys }, key("mapping.max_past") { $0.mapping.maxPast },
        key("mapping.max_future") { $0.mapping.maxFuture },
        key("mapping.timestamp_policy") { $0.mapping.timestampPolicy },
        key("mapping.string_policy") { $0.mapping.stringPolicy },
        key("mapping.field_types") { $0.mapping.fieldTypes },
        key("mapping.device_registry") { $0.mapping.deviceRegistry },
        key("mapping.max_payload_bytes") { $0.mapping.maxPayloadBytes },
        key("mapping.max_fields") { $0.mapping.maxFields }, key("mapping.max_depth") { $0.mapping.maxDepth },
        key("mapping.max_key_bytes") { $0.mapping.maxKeyBytes },
        key("mapping.max_string_bytes") { $0.mapping.maxStringBytes },
        key("mapping.max_field_types") { $0.mapping.maxFieldTypes },
        key("mapping.max_points_per_message") { $0.mapping.maxPointsPerMessage },
        key("mapping.max_encoded_bytes") { $0.mapping.maxEncodedBytes },

        key("influxdb.api") { $0.influxdb.api }, key("influxdb.url") { $0.influxdb.url },
        key("influxdb.failover_urls") { $0.influxdb.failoverURLs },
        key("influxdb.database") { $0.influxdb.database },
        key("influxdb.retention_policy") { $0.influxdb.retentionPolicy },
        key("influxdb.org") { $0.influxdb.org }, key("influxdb.bucket") { $0.influxdb.bucket },
        key("influxdb.token") { $0.influxdb.token }, key("influxdb.token_file") { $0.influxdb.tokenFile },
        key("influxdb.username") { $0.influxdb.username }, key("influxdb.password") { $0.influxdb.password },
        key("influxdb.timeout") { $0.influxdb.timeout },
        key("influxdb.connect_timeout") { $0.influxdb.connectTimeout }, key("influxdb.gzip") { $0.influxdb.gzip },
        key("influxdb.batch_size") { $0.influxdb.batchSize },
        key("influxdb.max_batch_bytes") { $0.influxdb.maxBatchBytes },
        key("influxdb.flush_interval") { $0.influxdb.flushInterval },
        key("influxdb.flush_jitter") { $0.influxdb.flushJitter },

        key("retry.initial") { $0.retry.initial }, key("retry.max") { $0.retry.maximum },
        key("breaker.failures") { $0.breaker.failures }, key("breaker.open_for") { $0.breaker.openFor },
        key("breaker.max_open_for") { $0.breaker.maximumOpenFor },
        key("delivery.max_settle_time") { $0.delivery.maxSettleTime },
        key("dead_letters.path") { $0.deadLetters.path }, key("dead_letters.max_bytes") { $0.deadLetters.maxBytes },
        key("dead_letters.max_files") { $0.deadLetters.maxFiles },
        key("dead_letters.refused_path") { $0.deadLetters.refusedPath },
        key("dead_letters.refused_max_bytes") { $0.deadLetters.refusedMaxBytes },
        key("dead_letters.refused_max_files") { $0.deadLetters.refusedMaxFiles },

        key("buffer.durable") { $0.buffer.durable }, key("buffer.path") { $0.buffer.path },
        key("buffer.max_bytes") { $0.buffer.maxBytes }, key("buffer.max_disk_bytes") { $0.buffer.maxDiskBytes },
        key("buffer.fsync") { $0.buffer.fsync }, key("buffer.fsync_interval") { $0.buffer.fsyncInterval },
        key("buffer.overflow") { $0.buffer.overflow },
        key("logging.level") { $0.logging.level }, key("logging.summary_interval") { $0.logging.summaryInterval },
        key("shutdown.drain") { $0.shutdown.drain },
    ]
}
