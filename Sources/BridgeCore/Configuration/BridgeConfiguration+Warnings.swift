// iotflow-bridge: what a configuration allows but should not, logged at start and by check-config.
// SPDX-License-Identifier: Apache-2.0

extension BridgeConfiguration {
    /// What is allowed but weakens a guarantee, each naming its key: `check-config` prints these
    /// and the bridge logs them at every start. Never contains a secret value.
    public var warnings: [ConfigurationError.Issue] {
        [qos0IsNotDurable, mqttSkipsVerification, influxSkipsVerification, mqttPasswordInClear, httpIsNotLoopback]
            .compactMap { $0 }
            + influxSecretsInClear
    }

    private var qos0IsNotDurable: ConfigurationError.Issue? {
        guard buffer.durable && mqtt.qos == 0 else { return nil }
        return .init(
            key: "mqtt.qos",
            message:
                "is 0: the broker neither queues nor redelivers QoS 0 messages, so they are not covered by the durable buffer's no-loss promise"
        )
    }

    private var mqttSkipsVerification: ConfigurationError.Issue? {
        guard mqtt.usesTLS && mqtt.tls.insecureSkipVerify else { return nil }
        return .init(
            key: "mqtt.tls.insecure_skip_verify",
            message: "is true: the broker's certificate is not verified, so anyone on the path can pose as it"
        )
    }

    private var influxSkipsVerification: ConfigurationError.Issue? {
        let urls = [influxdb.url] + influxdb.failoverURLs
        guard influxdb.tls.insecureSkipVerify, urls.contains(where: { $0.lowercased().hasPrefix("https://") }) else {
            return nil
        }
        return .init(
            key: "influxdb.tls.insecure_skip_verify",
            message:
                "is true: the server's certificate is not verified on https:// URLs, so anyone on the path can pose as it"
        )
    }

    /// The endpoint has no authentication and `/devices` lists device ids.
    private var httpIsNotLoopback: ConfigurationError.Issue? {
        guard let address = http.listenAddress, !address.isLoopback else { return nil }
        return .init(
            key: "http.listen",
            message:
                "is \(address), not loopback: /metrics, /health and /devices (device ids) answer anyone who can reach it, without authentication"
        )
    }

    /// The MQTT password crosses the network in clear text without TLS.
    private var mqttPasswordInClear: ConfigurationError.Issue? {
        guard mqtt.password != nil, !mqtt.usesTLS, !Self.isLoopback(host: mqtt.host) else { return nil }
        return .init(
            key: "mqtt.password",
            message: "is sent without TLS to \(mqtt.host), which is not loopback; set mqtt.tls.enabled (port 8883)"
        )
    }

    /// The token and the v1 password cross the network in clear text to every `http://` URL.
    private var influxSecretsInClear: [ConfigurationError.Issue] {
        let hosts = ([influxdb.url] + influxdb.failoverURLs).compactMap(Self.plainHTTPHost)
            .filter { !Self.isLoopback(host: $0) }
        guard !hosts.isEmpty else { return [] }
        let message = "is sent over plain http:// to \(hosts.joined(separator: ", ")), not loopback; use https://"
        return [
            influxdb.token.map { _ in .init(key: "influxdb.token", message: message) },
            influxdb.password.map { _ in .init(key: "influxdb.password", message: message) },
        ].compactMap { $0 }
    }

    /// The host of an `http://` URL (without port or brackets); nil for any other scheme.
    static func plainHTTPHost(_ url: String) -> String? {
        let scheme = "http://"
        guard url.lowercased().hasPrefix(scheme) else { return nil }
        let authority = url.dropFirst(scheme.count).prefix { $0 != "/" }
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<end])
        }
        return String(authority.prefix { $0 != ":" })
    }

    /// Whether `host` names this machine: `localhost`, 127.0.0.0/8 or ::1. Names are not resolved.
    static func isLoopback(host: String) -> Bool {
        let lower = host.lowercased()
        if lower == "localhost" || lower.hasSuffix(".localhost") || lower == "::1" || lower == "[::1]" { return true }
        let octets = lower.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
