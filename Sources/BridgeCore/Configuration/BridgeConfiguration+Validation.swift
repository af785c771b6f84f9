// iotflow-bridge: the rules a configuration must satisfy before anything starts.
// SPDX-License-Identifier: Apache-2.0

extension BridgeConfiguration {
    /// Checks every rule and throws all the problems at once, each naming its key: section by
    /// section, the rules of single values (from the keys' tables), then those that join keys.
    public func validate() throws(ConfigurationError) {
        let issues =
            mqttIssues + mappingIssues + influxIssues + deliveryIssues + bufferIssues
            + keyIssues(in: "logging") + keyIssues(in: "shutdown")
        if !issues.isEmpty { throw ConfigurationError(issues: issues) }
    }

    private var mqttIssues: [ConfigurationError.Issue] {
        keyIssues(in: "mqtt")
            + [
                clientIDKeepsTheSession, usernameComesWithThePassword, qos2IsNotDurable, sessionExpiryIsMQTT5,
                reconnectMaxIsNotShorterThanMin,
            ].compactMap { $0 }
    }

    private var mappingIssues: [ConfigurationError.Issue] {
        keyIssues(in: "mapping") + routesTakeEverySubscribedTopic + [unsignedIsNotForInfluxDB1].compactMap { $0 }
    }

    private var influxIssues: [ConfigurationError.Issue] {
        keyIssues(in: "influxdb") + influxDestinationIsNamed
            + [influxUsernameComesWithThePassword].compactMap { $0 }
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
