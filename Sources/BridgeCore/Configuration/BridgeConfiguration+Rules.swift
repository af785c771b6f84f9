// iotflow-bridge: the configuration rules that join two or more keys, one named rule each.
// SPDX-License-Identifier: Apache-2.0

extension BridgeConfiguration {
    // MARK: mqtt

    var clientIDKeepsTheSession: ConfigurationError.Issue? {
        unless(
            mqtt.cleanSession || !mqtt.clientID.isEmpty,
            "mqtt.client_id",
            "must be set when mqtt.clean_session is false (the broker keeps the session by client id)"
        )
    }

    var usernameComesWithThePassword: ConfigurationError.Issue? {
        unless(
            mqtt.username != nil || (mqtt.password == nil && mqtt.passwordFile == nil),
            "mqtt.username",
            "must be set when a password is given (MQTT 3.1.1 has no password without a username)"
        )
    }

    /// libmosquitto sends PUBREC as soon as a QoS 2 PUBLISH arrives and holds the message in
    /// memory until PUBREL (REFERENCE.md §D.3): the broker forgets it before it is on disk.
    var qos2IsNotDurable: ConfigurationError.Issue? {
        unless(
            !buffer.durable || mqtt.qos != 2,
            "mqtt.qos",
            "must be 0 or 1 with buffer.durable: with QoS 2 libmosquitto acknowledges (PUBREC) before the message is in the buffer; use 1"
        )
    }

    var sessionExpiryIsMQTT5: ConfigurationError.Issue? {
        unless(
            mqtt.sessionExpiry == nil || mqtt.protocolVersion == .v5,
            "mqtt.session_expiry",
            "applies to MQTT 5 only (set mqtt.protocol: 5); an MQTT 3.1.1 session lasts until the broker expires it"
        )
    }

    /// libmosquitto 2.0 checks the broker's certificate against the host it connects to (and sends
    /// it as SNI); it has no way to check another name, so `server_name` can only repeat the host.
    var serverNameIsTheHost: ConfigurationError.Issue? {
        unless(
            mqtt.tlsServerName == nil || mqtt.tlsServerName == mqtt.host,
            "mqtt.tls.server_name",
            "must be mqtt.host or unset: libmosquitto verifies the broker's certificate against mqtt.host only, "
                + "so set mqtt.host to the name the certificate carries"
        )
    }

    var reconnectMaxIsNotShorterThanMin: ConfigurationError.Issue? {
        unless(
            mqtt.reconnectMax >= mqtt.reconnectMin,
            "mqtt.reconnect_max",
            "must not be shorter than mqtt.reconnect_min"
        )
    }

    // MARK: tls

    /// A client certificate is of no use without its key, nor a key without its certificate
    /// (libmosquitto refuses either alone). The key may come from a systemd credential, which
    /// fills `key_file`: this rule also catches a credential loaded for a section with no certificate.
    func clientCertificateComesWithItsKey(_ tls: TLSConfiguration, section: String) -> [ConfigurationError.Issue] {
        [
            unless(
                tls.certFile == nil || tls.keyFile != nil,
                "\(section).tls.key_file",
                "must be set with \(section).tls.cert_file (the certificate's private key)"
            ),
            unless(
                tls.keyFile == nil || tls.certFile != nil,
                "\(section).tls.cert_file",
                "must be set with \(section).tls.key_file (the key's certificate)"
            ),
        ].compactMap { $0 }
    }

    // MARK: mapping

    /// One issue per valid `mqtt.topics` filter no route can match (nothing when a route is invalid:
    /// that is the routes' own issue).
    var routesTakeEverySubscribedTopic: [ConfigurationError.Issue] {
        guard case .success(let routes) = mapping.parsedRoutes() else { return [] }
        return mqtt.topics.filter { filter in
            TopicFilter.isValid(filter) && !routes.contains(where: { $0.overlaps(filter: filter) })
        }.map { filter in
            .init(
                key: "mapping.routes",
                message: "no route takes the topics of mqtt.topics filter '\(filter)' (they would all be refused)"
            )
        }
    }

    var unsignedIsNotForInfluxDB1: ConfigurationError.Issue? {
        guard case .success(let types) = mapping.parsedFieldTypes() else { return nil }
        return unless(
            influxdb.api != .v1 || !types.values.contains(.unsigned),
            "mapping.field_types",
            "unsigned is not accepted by InfluxDB 1.x (influxdb.api v1); use integer"
        )
    }

    // MARK: influxdb

    /// The database (v1, v3), or the bucket and the organisation (v2).
    var influxDestinationIsNamed: [ConfigurationError.Issue] {
        switch influxdb.api {
        case .v1, .v3:
            [unless(!influxdb.database.isEmpty, "influxdb.database", "must be set for api \(influxdb.api.rawValue)")]
                .compactMap { $0 }
        case .v2:
            [
                unless(!influxdb.bucket.isEmpty, "influxdb.bucket", "must be set for api v2"),
                unless(!influxdb.org.isEmpty, "influxdb.org", "must be set for api v2"),
            ].compactMap { $0 }
        }
    }

    var influxUsernameComesWithThePassword: ConfigurationError.Issue? {
        unless(
            influxdb.password == nil || influxdb.username != nil,
            "influxdb.username",
            "must be set when influxdb.password is given"
        )
    }

    // MARK: retry, breaker, dead letters

    var retryMaxIsNotShorterThanInitial: ConfigurationError.Issue? {
        unless(retry.maximum >= retry.initial, "retry.max", "must not be shorter than retry.initial")
    }

    var breakerMaxOpenForIsNotShorterThanOpenFor: ConfigurationError.Issue? {
        unless(
            breaker.maximumOpenFor >= breaker.openFor,
            "breaker.max_open_for",
            "must not be shorter than breaker.open_for"
        )
    }

    var rejectedRecordFitsItsFile: ConfigurationError.Issue? {
        unless(
            deadLetters.maxBytes >= 4 * mapping.maxEncodedBytes,
            "dead_letters.max_bytes",
            "must be at least four times mapping.max_encoded_bytes, so a rejected line's record fits"
        )
    }

    var refusedRecordFitsItsFile: ConfigurationError.Issue? {
        unless(
            deadLetters.refusedMaxBytes >= 4 * mapping.maxPayloadBytes,
            "dead_letters.refused_max_bytes",
            "must be at least four times mapping.max_payload_bytes, so a refused message's record fits"
        )
    }

    var refusedPathIsItsOwn: ConfigurationError.Issue? {
        unless(
            deadLetters.resolvedRefusedPath != deadLetters.path,
            "dead_letters.refused_path",
            "must differ from dead_letters.path: refused messages and rejected lines rotate apart"
        )
    }

    // MARK: buffer

    var bufferHoldsABatchWhileWriting: ConfigurationError.Issue? {
        unless(
            buffer.maxBytes >= 2 * influxdb.maxBatchBytes,
            "buffer.max_bytes",
            "must be at least twice influxdb.max_batch_bytes, so intake can go on while a batch is written"
        )
    }

    var bufferHoldsTheLargestMessages: ConfigurationError.Issue? {
        unless(
            buffer.maxBytes >= 4 * mapping.maxEncodedBytes,
            "buffer.max_bytes",
            "must be at least four times mapping.max_encoded_bytes, so a largest message always fits"
        )
    }

    /// What the durable buffer needs of its own keys, which matter only with it.
    var durableBufferIssues: [ConfigurationError.Issue] {
        let fsyncInterval = KeyRule<Duration>.within(.milliseconds(10)...Duration.seconds(60))
        return [
            unless(!buffer.path.isEmpty, "buffer.path", "must not be empty with buffer.durable"),
            unless(
                (1024 * 1024...16 * 1024 * 1024 * 1024 * 1024).contains(buffer.maxDiskBytes),
                "buffer.max_disk_bytes",
                "must be between 1048576 (1 MiB) and 17592186044416 (16 TiB)"
            ),
            unless(
                buffer.maxDiskBytes >= 8 * mapping.maxEncodedBytes,
                "buffer.max_disk_bytes",
                "must be at least eight times mapping.max_encoded_bytes, so a largest message always fits"
            ),
        ].compactMap { $0 }
            + fsyncInterval.check(buffer.fsyncInterval).map { .init(key: "buffer.fsync_interval", message: $0) }
    }

    /// What the durable buffer needs of the MQTT session: acknowledging after the disk write
    /// protects nothing if the broker forgets the session (and its queue) whenever the bridge
    /// disconnects.
    var durableSessionIssues: [ConfigurationError.Issue] {
        [
            unless(
                !mqtt.clientID.isEmpty,
                "mqtt.client_id",
                "must be set with buffer.durable: a fixed client id keeps the broker's session"
            ),
            unless(
                !mqtt.cleanSession,
                "mqtt.clean_session",
                "must be false with buffer.durable: a persistent session keeps what the broker queued"
            ),
            unless(
                mqtt.protocolVersion != .v5 || mqtt.sessionExpirySeconds > 0,
                "mqtt.session_expiry",
                "must be longer than 0s with buffer.durable: with 0 the broker ends the session, and drops what it queued, at every disconnect"
            ),
        ].compactMap { $0 }
    }
}

/// `message` about `key`, unless `condition` holds.
private func unless(_ condition: Bool, _ key: String, _ message: String) -> ConfigurationError.Issue? {
    condition ? nil : .init(key: key, message: message)
}
