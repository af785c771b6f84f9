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
    /// The keys are `BridgeConfiguration.keys`; a key in the file that is not one of them is an
    /// issue. Secrets may also come from files (`mqtt.password_file`, `influxdb.token_file`) and
    /// from systemd credentials (`LoadCredential=`): see `readSecretFiles(environment:source:)`.
    public static func load(
        filePath: String?,
        environment: [String: String]
    ) async throws(ConfigurationError) -> BridgeConfiguration {
        var issues: [ConfigurationError.Issue] = []
        var providers: [any ConfigProvider] = [
            EnvironmentVariablesProvider(
                environmentVariables: environment,
                secretsSpecifier: .specific(secretVariables)
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
        let reader = ConfigReader(providers: providers)
        var source = ConfigurationSource(
            scalar: { reader.string(forKey: ConfigKey($0), isSecret: $1) },
            list: { reader.stringArray(forKey: ConfigKey($0), isSecret: $1) }
        )
        var configuration = read(from: &source)
        configuration.checkMapping(source: &source)
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

    /// The environment variables of the password and token keys.
    private static var secretVariables: Set<String> {
        Set(keys.filter { $0.isSecret }.map(\.environmentVariable))
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
    static func yamlKeys(atPath path: String) throws -> [String] {
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

    /// Checks what the mapping keys name beyond their values: the device registry file, read here
    /// rather than in validate() because it is part of what check-config and a reload must accept,
    /// and the key `mapping.routes` replaced.
    private func checkMapping(source: inout ConfigurationSource) {
        if source.text("mapping.topic_template") != nil {
            source.issue("mapping.topic_template", "was replaced by mapping.routes (a list of templates)")
        }
        if let path = mapping.deviceRegistry {
            do {
                _ = try DeviceRegistryFile.load(path: path)
            } catch {
                source.issue("mapping.device_registry", "\(error)")
            }
        }
    }
}
