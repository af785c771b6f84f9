// iotflow-bridge: how the bridge connects and subscribes to the MQTT broker.
// SPDX-License-Identifier: Apache-2.0

/// The `mqtt` section.
public struct MQTTConfiguration: Equatable, Sendable {
    /// What happens to a message the broker flags as retained (`mqtt.retained`).
    public enum RetainedPolicy: String, CaseIterable, Sendable {
        /// Not stored, only counted: a retained message is a copy of one sent earlier, which
        /// the broker hands out again on every subscription. With MQTT 5 the subscription asks
        /// the broker not to send them at all (Retain Handling 2).
        case skip
        /// Stored once: with MQTT 5 the broker sends them only for a new subscription (Retain
        /// Handling 1); with 3.1.1 the bridge remembers each topic's last retained payload and
        /// skips an identical one (for as long as it runs).
        case store
    }

    /// The MQTT protocol version the bridge speaks (`mqtt.protocol`).
    public enum ProtocolVersion: String, CaseIterable, Sendable {
        case v311 = "3.1.1"
        case v5 = "5"
    }

    /// Broker host name or address (`mqtt.host`).
    public var host: String
    /// Broker TCP port, 1–65535 (`mqtt.port`).
    public var port: Int
    /// The MQTT client id (`mqtt.client_id`). Fixed, so the broker keeps this bridge's session.
    public var clientID: String
    /// Username for CONNECT, if any (`mqtt.username`).
    public var username: String?
    /// Password for CONNECT (`mqtt.password`, or read from `mqtt.password_file`).
    public var password: Secret?
    /// A file holding the password (`mqtt.password_file`); trailing newlines are ignored.
    public var passwordFile: String?
    /// Keepalive interval, 5 s – 65535 s (`mqtt.keepalive`).
    public var keepalive: Duration
    /// Subscription QoS: 0, 1 or 2 (`mqtt.qos`). 1 is what makes delivery at-least-once.
    public var qos: Int
    /// Whether the broker discards the session on disconnect (`mqtt.clean_session`; with MQTT 5,
    /// the CONNECT's clean-start flag).
    public var cleanSession: Bool
    /// MQTT 3.1.1 or 5 (`mqtt.protocol`).
    public var protocolVersion: ProtocolVersion
    /// With MQTT 5, how long the broker keeps the session after a disconnect
    /// (`mqtt.session_expiry`, sent as the CONNECT's session-expiry interval); nil is `never`.
    /// MQTT 3.1.1 has no such property: a persistent session lasts until the broker expires it.
    public var sessionExpiry: Duration?
    /// What happens to retained messages (`mqtt.retained`).
    public var retained: RetainedPolicy
    /// Topic filters to subscribe to (`mqtt.topics`); `$share/<group>/` prefixes are allowed.
    public var topics: [String]
    /// First reconnect delay (`mqtt.reconnect_min`); doubles per failed attempt.
    public var reconnectMin: Duration
    /// Longest reconnect delay (`mqtt.reconnect_max`).
    public var reconnectMax: Duration
    /// Whether to connect over TLS even when no file in `tls` is set, trusting the system's CAs
    /// (`mqtt.tls.enabled`). See `usesTLS`.
    public var tlsEnabled: Bool
    /// The name the broker's certificate must carry, when it is not `host` (`mqtt.tls.server_name`).
    public var tlsServerName: String?
    /// CAs, client certificate and key, version and verification (`mqtt.tls.*`).
    public var tls: TLSConfiguration

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(
        host: String = "127.0.0.1",
        port: Int = 1883,
        clientID: String = "iotflow-bridge",
        username: String? = nil,
        password: Secret? = nil,
        passwordFile: String? = nil,
        keepalive: Duration = .seconds(30),
        qos: Int = 1,
        cleanSession: Bool = false,
        protocolVersion: ProtocolVersion = .v311,
        sessionExpiry: Duration? = nil,
        retained: RetainedPolicy = .skip,
        topics: [String] = ["iotflow/devices/+/telemetry/+"],
        reconnectMin: Duration = .seconds(1),
        reconnectMax: Duration = .seconds(30),
        tlsEnabled: Bool = false,
        tlsServerName: String? = nil,
        tls: TLSConfiguration = TLSConfiguration()
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.username = username
        self.password = password
        self.passwordFile = passwordFile
        self.keepalive = keepalive
        self.qos = qos
        self.cleanSession = cleanSession
        self.protocolVersion = protocolVersion
        self.sessionExpiry = sessionExpiry
        self.retained = retained
        self.topics = topics
        self.reconnectMin = reconnectMin
        self.reconnectMax = reconnectMax
        self.tlsEnabled = tlsEnabled
        self.tlsServerName = tlsServerName
        self.tls = tls
    }
}

extension MQTTConfiguration {
    /// Whether the bridge connects over TLS: `tls.enabled`, or any file in `tls` set.
    public var usesTLS: Bool { tlsEnabled || tls.namesAFile }

    /// The session-expiry interval MQTT 5 sends, in seconds: 0xFFFFFFFF (`never`) for nil.
    public var sessionExpirySeconds: UInt32 {
        guard let sessionExpiry else { return .max }
        return UInt32(clamping: sessionExpiry.components.seconds)
    }
}

extension MQTTConfiguration {
    /// The section's keys, in file order.
    static let keys: [SectionKey<Self>] =
        [
            .key("host", \.host, .string, .require("must not be empty") { !$0.isEmpty }),
            .key("port", \.port, .int, .within(1...65535)),
            .key("client_id", \.clientID, .string, .require("must be at most 65535 bytes") { $0.utf8.count <= 65535 }),
            .key("username", \.username, .optionalString),
            .key("password", \.password, .secret),
            .key("password_file", \.passwordFile, .optionalString),
            .key("keepalive", \.keepalive, .duration, .within(.seconds(5)...Duration.seconds(65535))),
            .key("qos", \.qos, .int, .within(0...2, "must be 0, 1 or 2")),
            .key("clean_session", \.cleanSession, .bool),
            .key("protocol", \.protocolVersion, .quotedChoice),
            .key(
                "session_expiry",
                \.sessionExpiry,
                .durationOrNever,
                .within(.zero...Duration.seconds(Int64(UInt32.max - 1))),
                shownWhen: { $0.protocolVersion == .v5 }
            ),
            .key("retained", \.retained, .choice),
            .key(
                "topics",
                \.topics,
                .list,
                .require("must name at least one topic filter") { !$0.isEmpty },
                .each({ "'\($0)' is not a valid MQTT topic filter" }, TopicFilter.isValid)
            ),
            .key("reconnect_min", \.reconnectMin, .duration, .within(.milliseconds(100)...Duration.seconds(3600))),
            .key("reconnect_max", \.reconnectMax, .duration, .within(.milliseconds(100)...Duration.seconds(3600))),
            .key("tls.enabled", \.tlsEnabled, .bool),
            .key("tls.server_name", \.tlsServerName, .optionalString),
        ] + TLSConfiguration.keys.map { $0.lifted(through: \.tls, prefix: "tls.") }
}
