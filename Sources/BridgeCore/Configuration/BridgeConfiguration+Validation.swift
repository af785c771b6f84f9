// iotflow-bridge: the rules a configuration must satisfy before anything starts.
// SPDX-License-Identifier: Apache-2.0

extension BridgeConfiguration {
    /// Checks every rule and throws all the problems at once, each naming its key: section by
    /// section, the rules of single values (from the keys' tables), then those that join keys.
    public func validate() throws(ConfigurationError) {
        let issues =
            mqttIssues + mappingIssues + influxIssues + deliveryIssues + bufferIssues
            + keyIssues(in: "logging") + keyIssues(in: "shutdown") + keyIssues(in: "http")
        if !issues.isEmpty { throw ConfigurationError(issues: issues) }
    }

    private var mqttIssues: [ConfigurationError.Issue] {
        keyIssues(in: "mqtt")
            + [
                clientIDKeepsTheSession, usernameComesWithThePassword, qos2IsNotDurable, sessionExpiryIsMQTT5,
                reconnectMaxIsNotShorterThanMin, serverNameIsTheHost,
            ].compactMap { $0 } + clientCertificateComesWithItsKey(mqtt.tls, section: "mqtt")
    }

    private var mappingIssues: [ConfigurationError.Issue] {
        keyIssues(in: "mapping") + routesTakeEverySubscribedTopic + [unsignedIsNotForInfluxDB1].compactMap { $0 }
    }

    private var influxIssues: [ConfigurationError.Issue] {
        keyIssues(in: "influxdb") + influxDestinationIsNamed
            + [influxUsernameComesWithThePassword].compactMap { $0 }
            + clientCertificateComesWithItsKey(influxdb.tls, section: "influxdb")
    }

    private var deliveryIssues: [ConfigurationError.Issue] {
        keyIssues(in: "retry") + keyIssues(in: "breaker") + keyIssues(in: "delivery") + keyIssues(in: "dead_letters")
            + [
                retryMaxIsNotShorterThanInitial, breakerMaxOpenForIsNotShorterThanOpenFor,
                rejectedRecordFitsItsFile, refusedRecordFitsItsFile, refusedPathIsItsOwn,
            ].compactMap { $0 }
    }

    private var bufferIssues: [ConfigurationError.Issue] {
        keyIssues(in: "buffer")
            + [bufferHoldsABatchWhileWriting, bufferHoldsTheLargestMessages].compactMap { $0 }
            + (buffer.durable ? durableBufferIssues + durableSessionIssues : [])
    }
}
