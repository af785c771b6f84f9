// iotflow-bridge: the rules a configuration must satisfy before anything starts.
// SPDX-License-Identifier: Apache-2.0

extension BridgeConfiguration {
    /// Checks every rule and throws all the problems at once, each naming its key.
    public func validate() throws(ConfigurationError) {
        var issues: [ConfigurationError.Issue] = []
        func require(_ condition: Bool, _ key: String, _ message: String) {
            if !condition { issues.append(.init(key: key, message: message)) }
        }
        func require(_ duration: Duration, in range: ClosedRange<Duration>, _ key: String) {
            let bounds = "\(ConfigDuration.format(range.lowerBound)) and \(ConfigDuration.format(range.upperBound))"
            require(range.contains(duration), key, "must be between \(bounds)")
        }

        // MARK: mqtt
        require(!mqtt.host.isEmpty, "mqtt.host", "must not be empty")
        require((1...65535).contains(mqtt.port), "mqtt.port", "must be between 1 and 65535")
        require(mqtt.clientID.utf8.count <= 65535, "mqtt.client_id", "must be at most 65535 bytes")
        require(
            mqtt.cleanSession || !mqtt.clientID.isEmpty,
            "mqtt.client_id",
            "must be set when mqtt.clean_session is false (the broker keeps the session by client id)"
        )
        require(
            mqtt.username != nil || (mqtt.password == nil && mqtt.passwordFile == nil),
            "mqtt.username",
            "must be set when a password is given (MQTT 3.1.1 has no password without a username)"
        )
        require(mqtt.keepalive, in: .seconds(5)...Duration.seconds(65535), "mqtt.keepalive")
        require((0...2).contains(mqtt.qos), "mqtt.qos", "must be 0, 1 or 2")
        // libmosquitto sends PUBREC as soon as a QoS 2 PUBLISH arrives and holds the message in
        // memory until PUBREL (REFERENCE.md §D.3): the broker forgets it before it is on disk.
        require(
            !buffer.durable || mqtt.qos != 2,
            "mqtt.qos",
            "must be 0 or 1 with buffer.durable: with QoS 2 libmosquitto acknowledges (PUBREC) before the message is in the buffer; use 1"
        )
        require(!mqtt.topics.isEmpty, "mqtt.topics", "must name at least one topic filter")
        for filter in mqtt.topics where !TopicFilter.isValid(filter) {
            issues.append(.init(key: "mqtt.topics", message: "'\(filter)' is not a valid MQTT topic filter"))
        }
        require(mqtt.reconnectMin, in: .milliseconds(100)...Duration.seconds(3600), "mqtt.reconnect_min")
        require(mqtt.reconnectMax, in: .milliseconds(100)...Duration.seconds(3600), "mqtt.reconnect_max")
        if let expiry = mqtt.sessionExpiry {
            require(
                mqtt.protocolVersion == .v5,
                "mqtt.session_expiry",
                "applies to MQTT 5 only (set mqtt.protocol: 5); an MQTT 3.1.1 session lasts until the broker expires it"
            )
            require(expiry, in: .zero...Duration.seconds(Int64(UInt32.max - 1)), "mqtt.session_expiry")
        }
        require(
            mqtt.reconnectMax >= mqtt.reconnectMin,
            "mqtt.reconnect_max",
            "must not be shorter than mqtt.reconnect_min"
        )

        // MARK: mapping
        require(!mapping.routes.isEmpty, "mapping.routes", "must name at least one route")
        switch mapping.parsedRoutes() {
        case .failure(let problem):
            issues.append(.init(key: "mapping.routes", message: problem.description))
        case .success(let routes):
            for filter in mqtt.topics
            where TopicFilter.isValid(filter) && !routes.contains(where: { $0.overlaps(filter: filter) }) {
                issues.append(
                    .init(
                        key: "mapping.routes",
                        message:
                            "no route takes the topics of mqtt.topics filter '\(filter)' (they would all be refused)"
                    )
                )
            }
        }
        switch mapping.parsedFieldTypes() {
        case .failure(let problem):
            issues.append(.init(key: "mapping.field_types", message: problem.description))
        case .success(let types):
            require(
                influxdb.api != .v1 || !types.values.contains(.unsigned),
                "mapping.field_types",
                "unsigned is not accepted by InfluxDB 1.x (influxdb.api v1); use integer"
            )
        }
        require(
            !mapping.timestampKeys.contains(where: \.isEmpty),
            "mapping.timestamp_keys",
            "must not contain an empty key"
        )
        require(mapping.maxPast, in: .seconds(1)...Duration.seconds(100 * 365 * 86_400), "mapping.max_past")
        require(mapping.maxFuture, in: .seconds(1)...Duration.seconds(100 * 365 * 86_400), "mapping.max_future")
        require(mapping.deviceRegistry?.isEmpty != true, "mapping.device_registry", "must not be empty when set")
        require(
            (1...16 * 1024 * 1024).contains(mapping.maxPayloadBytes),
            "mapping.max_payload_bytes",
            "must be between 1 and 16777216"
        )
        require((1...10_000).contains(mapping.maxFields), "mapping.max_fields", "must be between 1 and 10000")
        require((1...32).contains(mapping.maxDepth), "mapping.max_depth", "must be between 1 and 32")
        require((1...65_535).contains(mapping.maxKeyBytes), "mapping.max_key_bytes", "must be between 1 and 65535")
        require(
            (1...65_536).contains(mapping.maxStringBytes),
            "mapping.max_string_bytes",
            "must be between 1 and 65536 (the string limit of InfluxDB 1.x and 2.x)"
        )
        require(
            (1...100_000).contains(mapping.maxPointsPerMessage),
            "mapping.max_points_per_message",
            "must be between 1 and 100000"
        )
        require(
            (1024...64 * 1024 * 1024).contains(mapping.maxEncodedBytes),
            "mapping.max_encoded_bytes",
            "must be between 1024 and 67108864"
        )
        require(
            (1...10_000_000).contains(mapping.maxFieldTypes),
            "mapping.max_field_types",
            "must be between 1 and 10000000"
        )

        // MARK: influxdb
        func isBaseURL(_ url: String) -> Bool {
            let lower = url.lowercased()
            // No `user:password@`: credentials belong in influxdb.username/password or the token,
            // where they are sent as headers and never logged.
            return (lower.hasPrefix("http://") || lower.hasPrefix("https://")) && url.count > 8
                && !url.contains(where: { $0 == "?" || $0 == "#" || $0 == "@" || $0.isWhitespace })
        }
        require(
            isBaseURL(influxdb.url),
            "influxdb.url",
            "must be an http:// or https:// base URL without credentials, query or fragment"
        )
        for url in influxdb.failoverURLs where !isBaseURL(url) {
            issues.append(
                .init(key: "influxdb.failover_urls", message: "'\(url)' is not an http:// or https:// base URL")
            )
        }
        switch influxdb.api {
        case .v1, .v3:
            require(!influxdb.database.isEmpty, "influxdb.database", "must be set for api \(influxdb.api.rawValue)")
        case .v2:
            require(!influxdb.bucket.isEmpty, "influxdb.bucket", "must be set for api v2")
            require(!influxdb.org.isEmpty, "influxdb.org", "must be set for api v2")
        }
        require(
            influxdb.password == nil || influxdb.username != nil,
            "influxdb.username",
            "must be set when influxdb.password is given"
        )
        require(influxdb.timeout, in: .seconds(1)...Duration.seconds(600), "influxdb.timeout")
        require(influxdb.connectTimeout, in: .milliseconds(100)...Duration.seconds(600), "influxdb.connect_timeout")
        require((1...1_000_000).contains(influxdb.batchSize), "influxdb.batch_size", "must be between 1 and 1000000")
        require(
            (1024...64 * 1024 * 1024).contains(influxdb.maxBatchBytes),
            "influxdb.max_batch_bytes",
            "must be between 1024 and 67108864"
        )
        require(influxdb.flushInterval, in: .milliseconds(100)...Duration.seconds(3600), "influxdb.flush_interval")
        require(influxdb.flushJitter, in: .zero...Duration.seconds(3600), "influxdb.flush_jitter")

        // MARK: retry, breaker, delivery, dead letters
        require(retry.initial, in: .milliseconds(100)...Duration.seconds(3600), "retry.initial")
        require(retry.maximum, in: .milliseconds(100)...Duration.seconds(3600), "retry.max")
        require(retry.maximum >= retry.initial, "retry.max", "must not be shorter than retry.initial")
        require((1...1000).contains(breaker.failures), "breaker.failures", "must be between 1 and 1000")
        require(breaker.openFor, in: .seconds(1)...Duration.seconds(3600), "breaker.open_for")
        require(breaker.maximumOpenFor, in: .seconds(1)...Duration.seconds(86_400), "breaker.max_open_for")
        require(
            breaker.maximumOpenFor >= breaker.openFor,
            "breaker.max_open_for",
            "must not be shorter than breaker.open_for"
        )
        require(delivery.maxSettleTime, in: .seconds(1)...Duration.seconds(3600), "delivery.max_settle_time")
        require(!deadLetters.path.isEmpty, "dead_letters.path", "must not be empty")
        require(
            (64 * 1024...64 * 1024 * 1024 * 1024).contains(deadLetters.maxBytes),
            "dead_letters.max_bytes",
            "must be between 65536 (64 KiB) and 68719476736 (64 GiB)"
        )
        require((0...100).contains(deadLetters.maxFiles), "dead_letters.max_files", "must be between 0 and 100")
        require(
            deadLetters.maxBytes >= 4 * mapping.maxEncodedBytes,
            "dead_letters.max_bytes",
            "must be at least four times mapping.max_encoded_bytes, so a rejected line's record fits"
        )
        require(
            (64 * 1024...64 * 1024 * 1024 * 1024).contains(deadLetters.refusedMaxBytes),
            "dead_letters.refused_max_bytes",
            "must be between 65536 (64 KiB) and 68719476736 (64 GiB)"
        )
        require(
            deadLetters.refusedMaxBytes >= 4 * mapping.maxPayloadBytes,
            "dead_letters.refused_max_bytes",
            "must be at least four times mapping.max_payload_bytes, so a refused message's record fits"
        )
        require(
            (0...100).contains(deadLetters.refusedMaxFiles),
            "dead_letters.refused_max_files",
            "must be between 0 and 100"
        )
        require(
            deadLetters.resolvedRefusedPath != deadLetters.path,
            "dead_letters.refused_path",
            "must differ from dead_letters.path: refused messages and rejected lines rotate apart"
        )

        // MARK: buffer, logging, shutdown
        require(
            (1024 * 1024...64 * 1024 * 1024 * 1024).contains(buffer.maxBytes),
            "buffer.max_bytes",
            "must be between 1048576 (1 MiB) and 68719476736 (64 GiB)"
        )
        require(
            buffer.maxBytes >= 2 * influxdb.maxBatchBytes,
            "buffer.max_bytes",
            "must be at least twice influxdb.max_batch_bytes, so intake can go on while a batch is written"
        )
        require(
            buffer.maxBytes >= 4 * mapping.maxEncodedBytes,
            "buffer.max_bytes",
            "must be at least four times mapping.max_encoded_bytes, so a largest message always fits"
        )
        if buffer.durable {
            require(!buffer.path.isEmpty, "buffer.path", "must not be empty with buffer.durable")
            require(
                (1024 * 1024...16 * 1024 * 1024 * 1024 * 1024).contains(buffer.maxDiskBytes),
                "buffer.max_disk_bytes",
                "must be between 1048576 (1 MiB) and 17592186044416 (16 TiB)"
            )
            require(
                buffer.maxDiskBytes >= 8 * mapping.maxEncodedBytes,
                "buffer.max_disk_bytes",
                "must be at least eight times mapping.max_encoded_bytes, so a largest message always fits"
            )
            require(buffer.fsyncInterval, in: .milliseconds(10)...Duration.seconds(60), "buffer.fsync_interval")
            // Acknowledging after the disk write protects nothing if the broker forgets the
            // session (and its queue) whenever the bridge disconnects.
            require(
                !mqtt.clientID.isEmpty,
                "mqtt.client_id",
                "must be set with buffer.durable: a fixed client id keeps the broker's session"
            )
            require(
                !mqtt.cleanSession,
                "mqtt.clean_session",
                "must be false with buffer.durable: a persistent session keeps what the broker queued"
            )
            require(
                mqtt.protocolVersion != .v5 || mqtt.sessionExpirySeconds > 0,
                "mqtt.session_expiry",
                "must be longer than 0s with buffer.durable: with 0 the broker ends the session, and drops what it queued, at every disconnect"
            )
        }
        require(logging.summaryInterval, in: .seconds(1)...Duration.seconds(3600), "logging.summary_interval")
        require(shutdown.drain, in: .zero...Duration.seconds(600), "shutdown.drain")

        if !issues.isEmpty { throw ConfigurationError(issues: issues) }
    }
}

extension BridgeConfiguration {
    /// What is allowed but weakens a guarantee, each naming its key: `check-config` prints these
    /// and the bridge logs them at start.
    public var warnings: [ConfigurationError.Issue] {
        var warnings: [ConfigurationError.Issue] = []
        if buffer.durable && mqtt.qos == 0 {
            warnings.append(
                .init(
                    key: "mqtt.qos",
                    message:
                        "is 0: the broker neither queues nor redelivers QoS 0 messages, so they are not covered by the durable buffer's no-loss promise"
                )
            )
        }
        return warnings
    }
}

/// MQTT topic filter syntax (MQTT 3.1.1 §4.7).
public enum TopicFilter {
    /// Whether `filter` is a valid subscription filter: non-empty levels may hold `+` or `#`
    /// only as the whole level, `#` only last; `$share/<group>/<filter>` needs a group and a filter.
    public static func isValid(_ filter: String) -> Bool {
        guard !filter.isEmpty, filter.utf8.count <= 65535, !filter.utf8.contains(0) else { return false }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        if levels.first == "$share" {
            guard levels.count >= 3, !levels[1].isEmpty, !levels[1].contains(where: { "+#".contains($0) }) else {
                return false
            }
            return isValid(levels.dropFirst(2).joined(separator: "/"))
        }
        for (index, level) in levels.enumerated() {
            if level == "#" { return index == levels.count - 1 }
            if level != "+" && level.contains(where: { "+#".contains($0) }) { return false }
        }
        return true
    }
}
