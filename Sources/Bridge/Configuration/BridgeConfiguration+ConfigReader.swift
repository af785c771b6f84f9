// iotflow-bridge: the configuration from the YAML file, environment variables and credentials.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Configuration
import Foundation
import SystemPackage
import Yams

extension BridgeConfiguration {
    /// Reads the configuration and checks it, throwing every problem at once.
    ///
    /// Sources, first match wins:
    /// 1. environment variables named after the key in upper snake case: `mqtt.client_id` is
    ///    `MQTT_CLIENT_ID`, `influxdb.batch_size` is `INFLUXDB_BATCH_SIZE` (this also covers the
    ///    names IoTFlow deployments use: `INFLUXDB_URL`, `INFLUXDB_TOKEN`, `INFLUXDB_ORG`, …);
    /// 2. the InfluxDB 3 variables `INFLUXDB3_HOST`, `INFLUXDB3_DATABASE`, `INFLUXDB3_TOKEN`
    ///    (for `influxdb.url`, `influxdb.database`, `influxdb.token`); `INFLUXDB3_HOST` also selects
    ///    `influxdb.api: v3` unless `INFLUXDB_API` is set;
    /// 3. the YAML file, if one is given;
    /// 4. the built-in defaults (`BridgeConfiguration()`), which `etc/iotflow-bridge.yaml` shows.
    ///
    /// Secrets may also come from files: `mqtt.password_file`, `influxdb.token_file`, and under
    /// systemd the credentials `influx-token` and `mqtt-password` in `$CREDENTIALS_DIRECTORY`
    /// (`LoadCredential=`), used when no other value is set.
    public static func load(
        filePath: String?,
        environment: [String: String]
    ) async throws(ConfigurationError) -> BridgeConfiguration {
        var issues: [ConfigurationError.Issue] = []
        var providers: [any ConfigProvider] = [
            EnvironmentVariablesProvider(
                environmentVariables: environment,
                secretsSpecifier: .dynamic { name, _ in name.hasSuffix("PASSWORD") || name.hasSuffix("TOKEN") }
            ),
            InMemoryProvider(name: "InfluxDB 3 variables", values: influxDB3Aliases(environment)),
        ]
        var fileKeys: [String] = []
        if let filePath {
            do {
                providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(filePath)))
                fileKeys = try yamlKeys(atPath: filePath)
            } catch {
                issues.append(.init(key: filePath, message: "cannot be read as YAML: \(error)"))
            }
        }
        var source = ConfigurationSource(reader: ConfigReader(providers: providers))
        var configuration = BridgeConfiguration(
            mqtt: .read(from: &source),
            mapping: .read(from: &source),
            influxdb: .read(from: &source),
            retry: .read(from: &source),
            breaker: .read(from: &source),
            delivery: .read(from: &source),
            deadLetters: .read(from: &source),
            buffer: .read(from: &source),
            logging: .read(from: &source),
            shutdown: .read(from: &source)
        )
        configuration.readSecretFiles(environment: environment, source: &source)
        issues += source.issues
        for key in fileKeys where !source.knownKeys.contains(key) {
            issues.append(.init(key: key, message: "is not a known key (misspelt?)"))
        }
        do {
            try configuration.validate()
        } catch {
            issues += error.issues
        }
        if !issues.isEmpty { throw ConfigurationError(issues: issues) }
        return configuration
    }

    private static func influxDB3Aliases(_ environment: [String: String]) -> [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        if let host = environment["INFLUXDB3_HOST"] {
            values[["influxdb", "url"]] = ConfigValue(.string(host), isSecret: false)
            values[["influxdb", "api"]] = ConfigValue(.string("v3"), isSecret: false)
        }
        if let database = environment["INFLUXDB3_DATABASE"] {
            values[["influxdb", "database"]] = ConfigValue(.string(database), isSecret: false)
        }
        if let token = environment["INFLUXDB3_TOKEN"] {
            values[["influxdb", "token"]] = ConfigValue(.string(token), isSecret: true)
        }
        return values
    }

    /// The dotted paths of every scalar or list in a YAML file (`mqtt.host`, `mqtt.topics`).
    private static func yamlKeys(atPath path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let root = try Yams.compose(yaml: text) else { return [] }
        var keys: [String] = []
        func walk(_ node: Node, prefix: String) {
            guard let mapping = node.mapping else {
                keys.append(prefix)
                return
            }
            for (key, value) in mapping {
                let name = key.string ?? "?"
                walk(value, prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
            }
        }
        walk(root, prefix: "")
        return keys.filter { !$0.isEmpty }
    }

    /// Fills passwords and tokens from `*_file` keys and systemd credentials.
    private mutating func readSecretFiles(environment: [String: String], source: inout ConfigurationSource) {
        func contents(of path: String, key: String) -> Secret? {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else {
                source.issue(key, "cannot read '\(path)'")
                return nil
            }
            let trimmed = text.trimmingCharacters(in: .newlines)
            guard !trimmed.isEmpty else {
                source.issue(key, "'\(path)' is empty")
                return nil
            }
            return Secret(trimmed)
        }
        let credentials = environment["CREDENTIALS_DIRECTORY"].map { URL(fileURLWithPath: $0) }
        func credential(_ name: String) -> Secret? {
            guard let path = credentials?.appendingPathComponent(name).path,
                FileManager.default.fileExists(atPath: path)
            else { return nil }
            return contents(of: path, key: "$CREDENTIALS_DIRECTORY/\(name)")
        }
        // Checked here rather than in validate(): once read, the file's secret is the value.
        if let path = influxdb.tokenFile {
            if influxdb.token != nil {
                source.issue("influxdb.token_file", "set either influxdb.token or influxdb.token_file, not both")
            }
            influxdb.token = contents(of: path, key: "influxdb.token_file")
        } else if influxdb.token == nil {
            influxdb.token = credential("influx-token")
        }
        if let path = mqtt.passwordFile {
            if mqtt.password != nil {
                source.issue("mqtt.password_file", "set either mqtt.password or mqtt.password_file, not both")
            }
            mqtt.password = contents(of: path, key: "mqtt.password_file")
        } else if mqtt.password == nil {
            mqtt.password = credential("mqtt-password")
        }
    }
}

extension MQTTConfiguration {
    fileprivate static func read(from source: inout ConfigurationSource) -> Self {
        let defaults = Self()
        return Self(
            host: source.string("mqtt.host", default: defaults.host),
            port: source.int("mqtt.port", default: defaults.port),
            clientID: source.string("mqtt.client_id", default: defaults.clientID),
            username: source.optionalString("mqtt.username"),
            password: source.secret("mqtt.password"),
            passwordFile: source.optionalString("mqtt.password_file"),
            keepalive: source.duration("mqtt.keepalive", default: defaults.keepalive),
            qos: source.int("mqtt.qos", default: defaults.qos),
            cleanSession: source.bool("mqtt.clean_session", default: defaults.cleanSession),
            protocolVersion: source.choice("mqtt.protocol", default: defaults.protocolVersion),
            sessionExpiry: source.durationOrNever("mqtt.session_expiry", default: defaults.sessionExpiry),
            retained: source.choice("mqtt.retained", default: defaults.retained),
            topics: source.stringList("mqtt.topics", default: defaults.topics),
            reconnectMin: source.duration("mqtt.reconnect_min", default: defaults.reconnectMin),
            reconnectMax: source.duration("mqtt.reconnect_max", default: defaults.reconnectMax)
        )
    }
}

extension MappingConfiguration {
    fileprivate static func read(from source: inout ConfigurationSource) -> Self {
        let defaults = Self()
        if source.optionalString("mapping.topic_template") != nil {
            source.issue("mapping.topic_template", "was replaced by mapping.routes (a list of templates)")
        }
        let configuration = Self(
            routes: source.stringList("mapping.routes", default: defaults.routes),
            topicTag: source.bool("mapping.topic_tag", default: defaults.topicTag),
            timestampKeys: source.stringList("mapping.timestamp_keys", default: defaults.timestampKeys),
            maxPast: source.duration("mapping.max_past", default: defaults.maxPast),
            maxFuture: source.duration("mapping.max_future", default: defaults.maxFuture),
            timestampPolicy: source.choice("mapping.timestamp_policy", default: defaults.timestampPolicy),
            stringPolicy: source.choice("mapping.string_policy", default: defaults.stringPolicy),
            fieldTypes: source.stringList("mapping.field_types", default: defaults.fieldTypes),
            deviceRegistry: source.optionalString("mapping.device_registry"),
            maxPayloadBytes: source.int("mapping.max_payload_bytes", default: defaults.maxPayloadBytes),
            maxFields: source.int("mapping.max_fields", default: defaults.maxFields),
            maxDepth: source.int("mapping.max_depth", default: defaults.maxDepth),
            maxKeyBytes: source.int("mapping.max_key_bytes", default: defaults.maxKeyBytes),
            maxStringBytes: source.int("mapping.max_string_bytes", default: defaults.maxStringBytes),
            maxFieldTypes: source.int("mapping.max_field_types", default: defaults.maxFieldTypes),
            maxPointsPerMessage: source.int("mapping.max_points_per_message", default: defaults.maxPointsPerMessage),
            maxEncodedBytes: source.int("mapping.max_encoded_bytes", default: defaults.maxEncodedBytes)
        )
        // Read here, not in validate(): the file is part of what check-config and a reload must accept.
        if let path = configuration.deviceRegistry {
            do {
                _ = try DeviceRegistryFile.load(path: path)
            } catch {
                source.issue("mapping.device_registry", "\(error)")
            }
        }
        return configuration
    }
}

extension InfluxConfiguration {
    fileprivate static func read(from source: inout ConfigurationSource) -> Self {
        let defaults = Self()
        return Self(
            api: source.choice("influxdb.api", default: defaults.api),
            url: source.string("influxdb.url", default: defaults.url),
            failoverURLs: source.stringList("influxdb.failover_urls", default: defaults.failoverURLs),
            database: source.string("influxdb.database", default: defaults.database),
            retentionPolicy: source.optionalString("influxdb.retention_policy"),
            org: source.string("influxdb.org", default: defaults.org),
            bucket: source.string("influxdb.bucket", default: defaults.bucket),
            token: source.secret("influxdb.token"),
            tokenFile: source.optionalString("influxdb.token_file"),
            username: source.optionalString("influxdb.username"),
            password: source.secret("influxdb.password"),
            timeout: source.duration("influxdb.timeout", default: defaults.timeout),
            connectTimeout: source.duration("influxdb.connect_timeout", default: defaults.connectTimeout),
            gzip: source.bool("influxdb.gzip", default: defaults.gzip),
            batchSize: source.int("influxdb.batch_size", default: defaults.batchSize),
            maxBatchBytes: source.int("influxdb.max_batch_bytes", default: defaults.maxBatchBytes),
            flushInterval: source.duration("influxdb.flush_interval", default: defaults.flushInterval),
            flushJitter: source.duration("influxdb.flush_jitter", default: defaults.flushJitter)
        )
    }
}

extension RetryConfiguration {
    fileprivate static func read(from source: inout ConfigurationSource) -> Self {
        let defaults = Self()
        return Self(
            initial: source.duration("retry.initial", default: defaults.initial),
            maximum: source.duration("retry.max", default: defaults.maximum)
        )
    }
}

extension BreakerConfiguration {
    fileprivate static func read(from source: inout ConfigurationSource) -> Self {
        let defaults = Self()
        return Self(
            failures: source.int("breaker.failures", default: defaults.failures),
            openFor: source.duration("breaker.open_for", default: defaults.openFor),
            maximumOpenFor: source.duration("breaker.max_open_for", default: defaults.maximumOpenFor)
        )
    }
}

extension DeliveryConfiguration {
    fileprivate static func read(from source: inout ConfigurationSource) -> Self {
        Self(maxSettleTime: source.duration("delivery.max_settle_time", default: Self().maxSettleTime))
    }
}

extension DeadLetterConfiguration {
    fileprivate static func read(from source: inout ConfigurationSource) -> Self {
        let defaults = Self()
        return Self(
            path: source.string("dead_letters.path", default: defaults.path),
            maxBytes: source.int("dead_letters.max_bytes", default: defaults.maxBytes),
            maxFiles: source.int("dead_letters.max_files", default: defaults.maxFiles),
            refusedPath: source.string("dead_letters.refused_path", default: defaults.refusedPath),
            refusedMaxBytes: source.int("dead_letters.refused_max_bytes", default: defaults.refusedMaxBytes),
            refusedMaxFiles: source.int("dead_letters.refused_max_files", default: defaults.refusedMaxFiles)
        )
    }
}

extension BufferConfiguration {
    fileprivate static func read(from source: inout ConfigurationSource) -> Self {
        let defaults = Self()
        return Self(
            durable: source.bool("buffer.durable", default: defaults.durable),
            path: source.string("buffer.path", default: defaults.path),
            maxBytes: source.int("buffer.max_bytes", default: defaults.maxBytes),
            maxDiskBytes: source.int("buffer.max_disk_bytes", default: defaults.maxDiskBytes),
            fsync: source.choice("buffer.fsync", default: defaults.fsync),
            fsyncInterval: source.duration("buffer.fsync_interval", default: defaults.fsyncInterval),
            overflow: source.choice("buffer.overflow", default: defaults.overflow)
        )
    }
}

extension LoggingConfiguration {
    fileprivate static func read(from source: inout ConfigurationSource) -> Self {
        let defaults = Self()
        return Self(
            level: source.choice("logging.level", default: defaults.level),
            summaryInterval: source.duration("logging.summary_interval", default: defaults.summaryInterval)
        )
    }
}

extension ShutdownConfiguration {
    fileprivate static func read(from source: inout ConfigurationSource) -> Self {
        Self(drain: source.duration("shutdown.drain", default: Self().drain))
    }
}
