// iotflow-bridge: every configuration key, section by section: read, printed, checked, reloaded.
// SPDX-License-Identifier: Apache-2.0

extension BridgeConfiguration {
    /// One key of the configuration, as its section's table lists it.
    public struct Key: Sendable {
        /// The section's name in the file (`mqtt`).
        public let section: String
        /// Whether a reload (SIGHUP) applies a change of the key to the running bridge; a change of
        /// any other key is named as needing a restart.
        public let appliesOnReload: Bool
        let entry: SectionKey<BridgeConfiguration>

        /// The dotted key (`mqtt.client_id`).
        public var name: String { "\(section).\(entry.name)" }

        /// The key's environment variable: the dotted key in upper snake case (`MQTT_CLIENT_ID`).
        public var environmentVariable: String {
            String(name.map { $0 == "." ? "_" : $0 }).uppercased()
        }

        /// Whether the value is a password or token, which is never printed.
        public var isSecret: Bool { entry.isSecret }

        /// The key's value in `configuration` as YAML; nil when unset.
        public func formatted(_ configuration: BridgeConfiguration) -> String? {
            entry.format(configuration)
        }
    }

    /// Every key, section by section in file order: the one list the reader, `print-config`, the
    /// validation of single values and a reload go by. The `influxdb` section is the one a running
    /// bridge takes on (its connection keys from the writer's next request, the batching keys from
    /// its next batch); every other key is read once, at start.
    public static let keys: [Key] =
        section("mqtt", \.mqtt, MQTTConfiguration.keys)
        + section("mapping", \.mapping, MappingConfiguration.keys)
        + section("influxdb", \.influxdb, InfluxConfiguration.keys, appliesOnReload: true)
        + section("retry", \.retry, RetryConfiguration.keys)
        + section("breaker", \.breaker, BreakerConfiguration.keys)
        + section("delivery", \.delivery, DeliveryConfiguration.keys)
        + section("dead_letters", \.deadLetters, DeadLetterConfiguration.keys)
        + section("buffer", \.buffer, BufferConfiguration.keys)
        + section("logging", \.logging, LoggingConfiguration.keys)
        + section("shutdown", \.shutdown, ShutdownConfiguration.keys)
        + section("http", \.http, HTTPConfiguration.keys)

    private static func section<Section>(
        _ name: String,
        _ path: any WritableKeyPath<BridgeConfiguration, Section> & Sendable,
        _ keys: [SectionKey<Section>],
        appliesOnReload: Bool = false
    ) -> [Key] {
        keys.map { Key(section: name, appliesOnReload: appliesOnReload, entry: $0.lifted(through: path)) }
    }

    /// The configuration `source` holds, each key it does not hold at its default. A value that
    /// cannot be read is an issue in `source` and leaves its key at the default, so reading goes on.
    public static func read(from source: inout ConfigurationSource) -> BridgeConfiguration {
        var configuration = BridgeConfiguration()
        for key in keys {
            key.entry.read(&configuration, &source, key.name)
        }
        return configuration
    }

    /// The configuration as YAML that `BridgeConfiguration.load(filePath:environment:)` reads back
    /// to the same value, except that passwords and tokens read `<redacted>` and unset optional
    /// keys are comments (`print-config`).
    public func renderedYAML() -> String {
        var text = ""
        var section = ""
        var subsection = ""
        for key in Self.keys {
            if key.section != section {
                section = key.section
                subsection = ""
                text += "\(section):\n"
            }
            // A dotted name (`tls.ca_file`) is a key of a subsection, whose keys are listed together.
            let parts = key.entry.name.split(separator: ".", maxSplits: 1)
            var indent = "  "
            if parts.count == 2 {
                if parts[0] != subsection {
                    subsection = String(parts[0])
                    text += "  \(subsection):\n"
                }
                indent = "    "
            }
            let name = parts.last ?? ""
            text += key.formatted(self).map { "\(indent)\(name): \($0)\n" } ?? "\(indent)# \(name): (not set)\n"
        }
        return text
    }

    /// The problems the rules of the keys of `section` find in their own values, in key order.
    func keyIssues(in section: String) -> [ConfigurationError.Issue] {
        Self.keys.filter { $0.section == section }.flatMap { key in
            key.entry.problems(self).map { ConfigurationError.Issue(key: key.name, message: $0) }
        }
    }
}
