// iotflow-bridge: reading the YAML file, environment overrides, secrets and print-config.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import Foundation
import Testing

/// Writes `text` to a temporary file and returns its path.
private func temporaryFile(_ text: String, name: String = "bridge.yaml") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("iotflow-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

private let samplePath = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("etc/iotflow-bridge.yaml").path

/// Every key but the two secret files set to a valid value other than its default.
private let everyKeySet = """
    mqtt:
      host: "broker.example"
      port: 1884
      client_id: "bridge-7"
      username: "user"
      password: "pw"
      keepalive: 45s
      qos: 2
      clean_session: true
      protocol: "5"
      session_expiry: 168h
      retained: store
      topics: ["a/+/telemetry/+", "b/+"]
      reconnect_min: 2s
      reconnect_max: 1m
      tls:
        enabled: true
        server_name: "broker.example"
        ca_file: "/etc/bridge/mqtt-ca.pem"
        ca_path: "/etc/bridge/mqtt-cas"
        cert_file: "/etc/bridge/mqtt-client.pem"
        key_file: "/etc/bridge/mqtt-client.key"
        min_version: "1.3"
        insecure_skip_verify: true
    mapping:
      routes: ["a/{device_id}/telemetry/{measurement}", "b/{_} -> b"]
      topic_tag: true
      timestamp_keys: ["t"]
      max_past: 24h
      max_future: 5m
      timestamp_policy: reject
      string_policy: tag
      field_types: ["n:integer"]
      device_registry: "REGISTRY"
      max_payload_bytes: 32768
      max_fields: 64
      max_depth: 3
      max_key_bytes: 64
      max_string_bytes: 256
      max_field_types: 1000
      max_points_per_message: 10
      max_encoded_bytes: 131072
      max_devices: 50
      stale_after: 2m
    influxdb:
      api: v1
      url: "http://influx.example:8086"
      failover_urls: ["http://influx2.example:8086"]
      database: "db"
      retention_policy: "rp"
      org: "o"
      bucket: "b"
      token: "tok"
      username: "iu"
      password: "ip"
      timeout: 20s
      connect_timeout: 2s
      gzip: false
      batch_size: 100
      max_batch_bytes: 1048576
      flush_interval: 2s
      flush_jitter: 500ms
      tls:
        ca_file: "/etc/bridge/influx-ca.pem"
        ca_path: "/etc/bridge/influx-cas"
        cert_file: "/etc/bridge/influx-client.pem"
        key_file: "/etc/bridge/influx-client.key"
        min_version: "1.3"
        insecure_skip_verify: true
    retry:
      initial: 2s
      max: 2m
    breaker:
      failures: 3
      open_for: 30s
      max_open_for: 20m
    delivery:
      max_settle_time: 10s
    dead_letters:
      path: "/tmp/x/dl.jsonl"
      max_bytes: 1048576
      max_files: 2
      refused_path: "/tmp/x/refused.jsonl"
      refused_max_bytes: 1048576
      refused_max_files: 3
    buffer:
      durable: false
      path: "/tmp/x/buffer"
      max_bytes: 16777216
      max_disk_bytes: 2147483648
      fsync: interval
      fsync_interval: 500ms
      overflow: drop_oldest
    logging:
      level: debug
      summary_interval: 30s
    shutdown:
      drain: 5s
    http:
      listen: "[::1]:19464"
    """

@Suite struct ConfigurationLoadingTests {
    @Test func sampleFileEqualsTheBuiltInDefaults() async throws {
        let configuration = try await BridgeConfiguration.load(filePath: samplePath, environment: [:])
        #expect(configuration == BridgeConfiguration())
    }

    @Test func sampleFileShowsEveryKeyWithItsDefaultAndNoOtherKey() throws {
        let sample = try String(contentsOfFile: samplePath, encoding: .utf8)
        // Each key line as `print-config` writes it: "  name: value", or "  # name: ..." when unset;
        // a subsection's keys ("  tls:", then "    ca_file: ...") become "  tls.ca_file: ...".
        var lines: [String: [String]] = [:]
        var section = ""
        var subsection = ""
        for line in sample.split(separator: "\n") where !line.hasPrefix("#") {
            if !line.hasPrefix(" ") {
                section = String(line.dropLast())
                #expect(line.hasSuffix(":"), "\(line)")
            } else if !line.hasPrefix("    "), line.hasSuffix(":"), !line.hasPrefix("  #") {
                subsection = line.trimmingCharacters(in: .whitespaces).dropLast() + "."
            } else if line.hasPrefix("    ") {
                let body = line.dropFirst(4)
                let comment = body.hasPrefix("# ") ? "# " : ""
                lines[section, default: []].append("  \(comment)\(subsection)\(body.dropFirst(comment.count))")
            } else {
                subsection = ""
                lines[section, default: []].append(String(line))
            }
        }
        #expect(Set(lines.keys) == Set(BridgeConfiguration.keys.map(\.section)))
        let defaults = BridgeConfiguration()
        for key in BridgeConfiguration.keys {
            let name = key.name.dropFirst(key.section.count + 1)
            guard let value = key.formatted(defaults) else {
                #expect(lines[key.section, default: []].contains { $0.hasPrefix("  # \(name): ") }, "\(key.name)")
                continue
            }
            let shown = lines[key.section, default: []].contains { line in
                // "  name: value", then nothing or a comment.
                guard line.hasPrefix("  \(name): \(value)") else { return false }
                let rest = line.dropFirst("  \(name): \(value)".count)
                return rest.isEmpty || (rest.first == " " && rest.drop { $0 == " " }.first == "#")
            }
            #expect(shown, "\(key.name): \(value)")
        }
        let listed = Set(BridgeConfiguration.keys.map(\.name))
        for (section, body) in lines {
            for line in body where !line.hasPrefix("  #") {
                let name = line.drop { $0 == " " }.prefix { $0 != ":" }
                #expect(listed.contains("\(section).\(name)"), "\(section).\(name) is not a key")
            }
        }
    }

    @Test func everyKeyIsReadFromTheFileAndFromItsEnvironmentVariable() async throws {
        let registry = try temporaryFile("dev-1:\n  location: basement\n", name: "devices.yaml")
        let fromFile = try await BridgeConfiguration.load(
            filePath: try temporaryFile(everyKeySet.replacingOccurrences(of: "REGISTRY", with: registry)),
            environment: [:]
        )
        let fileKeys = ["mqtt.password_file", "influxdb.token_file"]
        #expect(
            ConfigurationReload.changedKeys(from: BridgeConfiguration(), to: fromFile)
                == BridgeConfiguration.keys.map(\.name).filter { !fileKeys.contains($0) }
        )
        var environment: [String: String] = [:]
        for key in BridgeConfiguration.keys {
            guard let yaml = key.formatted(fromFile) else { continue }
            environment[key.environmentVariable] =
                yaml.hasPrefix("[")
                ? yaml.dropFirst().dropLast().split(separator: ", ").map { $0.dropFirst().dropLast() }
                    .joined(separator: ",")
                : yaml.hasPrefix("\"") ? String(yaml.dropFirst().dropLast()) : yaml
        }
        #expect(environment["DEAD_LETTERS_REFUSED_MAX_FILES"] == "3")
        var expected = fromFile
        for key in BridgeConfiguration.keys where key.isSecret {
            #expect(environment[key.environmentVariable] == "<redacted>", "\(key.name)")
        }
        expected.mqtt.password = Secret("<redacted>")
        expected.influxdb.token = Secret("<redacted>")
        expected.influxdb.password = Secret("<redacted>")
        let fromEnvironment = try await BridgeConfiguration.load(filePath: nil, environment: environment)
        #expect(fromEnvironment == expected)
    }

    @Test func environmentOverridesTheFileWithTheNamesDeploymentsUse() async throws {
        let file = try temporaryFile("influxdb:\n  url: http://file:8086\n  batch_size: 100\nmqtt:\n  port: 1884\n")
        let configuration = try await BridgeConfiguration.load(
            filePath: file,
            environment: [
                "INFLUXDB_URL": "http://env:8086", "INFLUXDB_TOKEN": "tok", "INFLUXDB_ORG": "o",
                "INFLUXDB_BUCKET": "b", "INFLUXDB_TIMEOUT": "5000", "INFLUXDB_BATCH_SIZE": "250",
                "INFLUXDB_FLUSH_INTERVAL": "2500", "INFLUXDB_API": "v1", "INFLUXDB_DATABASE": "db",
                "MQTT_HOST": "broker", "MQTT_USERNAME": "u", "MQTT_PASSWORD": "p", "MQTT_CLIENT_ID": "c",
                "MQTT_TOPICS": "a/+, b/#", "MQTT_QOS": "0", "MAPPING_ROUTES": "a/{measurement}, b/{_} -> b",
            ]
        )
        #expect(configuration.influxdb.url == "http://env:8086")
        #expect(configuration.influxdb.token == Secret("tok"))
        #expect(configuration.influxdb.org == "o" && configuration.influxdb.bucket == "b")
        #expect(configuration.influxdb.timeout == .seconds(5))
        #expect(configuration.influxdb.batchSize == 250)
        #expect(configuration.influxdb.flushInterval == .milliseconds(2500))
        #expect(configuration.influxdb.api == .v1 && configuration.influxdb.database == "db")
        #expect(configuration.mqtt.host == "broker" && configuration.mqtt.port == 1884)
        #expect(configuration.mqtt.username == "u" && configuration.mqtt.password == Secret("p"))
        #expect(configuration.mqtt.clientID == "c" && configuration.mqtt.qos == 0)
        #expect(configuration.mqtt.topics == ["a/+", "b/#"])
        #expect(configuration.mapping.routes == ["a/{measurement}", "b/{_} -> b"])
    }

    @Test func influxDB3VariablesSelectV3UnlessTheAPIIsGiven() async throws {
        let v3 = try await BridgeConfiguration.load(
            filePath: nil,
            environment: ["INFLUXDB3_HOST": "http://v3:8181", "INFLUXDB3_DATABASE": "d3", "INFLUXDB3_TOKEN": "t3"]
        )
        #expect(v3.influxdb.api == .v3 && v3.influxdb.url == "http://v3:8181")
        #expect(v3.influxdb.database == "d3" && v3.influxdb.token == Secret("t3"))
        let pinned = try await BridgeConfiguration.load(
            filePath: nil,
            environment: ["INFLUXDB3_HOST": "http://v3:8181", "INFLUXDB_API": "v2"]
        )
        #expect(pinned.influxdb.api == .v2)
    }

    @Test func reportsEveryMistakeInAFileNamingTheKey() async throws {
        let file = try temporaryFile(
            """
            mqtt:
              qos: 5
            influxdb:
              batch_size: lots
              flush_intervall: 1s
            """
        )
        let error = await #expect(throws: ConfigurationError.self) {
            try await BridgeConfiguration.load(filePath: file, environment: [:])
        }
        #expect(error?.issues.map(\.key).sorted() == ["influxdb.batch_size", "influxdb.flush_intervall", "mqtt.qos"])
    }

    @Test func mappingKeysReadFromTheFileAndPrintBack() async throws {
        let registry = try temporaryFile(
            "dev-1:\n  device_name: Boiler room\n  location: basement\n  floor: 2\n",
            name: "devices.yaml"
        )
        let file = try temporaryFile(
            """
            mqtt:
              topics: ["iotflow/devices/+/telemetry/+", "iotflow/devices/+/status/+"]
            mapping:
              routes:
                - "iotflow/devices/{device_id}/telemetry/{measurement}"
                - "iotflow/devices/{device_id}/status/{_} -> device_status"
              topic_tag: true
              max_past: 24h
              max_future: 5m
              timestamp_policy: reject
              string_policy: tag
              field_types: ["uptime_s:integer", "packets:unsigned"]
              device_registry: "\(registry)"
              max_fields: 64
              max_depth: 3
              max_key_bytes: 64
              max_string_bytes: 256
              max_field_types: 1000
            """
        )
        let configuration = try await BridgeConfiguration.load(filePath: file, environment: [:])
        let mapping = configuration.mapping
        #expect(mapping.routes.count == 2 && mapping.topicTag && mapping.maxPast == .seconds(86_400))
        #expect(
            mapping.maxFuture == .seconds(300) && mapping.timestampPolicy == .reject && mapping.stringPolicy == .tag
        )
        #expect(mapping.fieldTypes == ["uptime_s:integer", "packets:unsigned"] && mapping.deviceRegistry == registry)
        #expect(mapping.maxFields == 64 && mapping.maxDepth == 3 && mapping.maxKeyBytes == 64)
        #expect(mapping.maxStringBytes == 256 && mapping.maxFieldTypes == 1000)
        let reread = try await BridgeConfiguration.load(
            filePath: try temporaryFile(configuration.renderedYAML()),
            environment: [:]
        )
        #expect(reread == configuration)
        let tags = try DeviceRegistryFile.load(path: registry).devices["dev-1"]
        #expect(tags?.map(\.key) == ["device_name", "location", "floor"] && tags?.last?.value == "2")
    }

    @Test func mqtt5AndItsSessionExpiryReadFromTheFileAndTheEnvironment() async throws {
        // A bare 5 is a YAML number; the key still reads it.
        let file = try temporaryFile("mqtt:\n  protocol: 5\n  session_expiry: 168h\n")
        let configuration = try await BridgeConfiguration.load(filePath: file, environment: [:])
        #expect(configuration.mqtt.protocolVersion == .v5 && configuration.mqtt.sessionExpiry == .seconds(604_800))
        let reread = try await BridgeConfiguration.load(
            filePath: try temporaryFile(configuration.renderedYAML()),
            environment: [:]
        )
        #expect(reread == configuration)
        let never = try await BridgeConfiguration.load(
            filePath: file,
            environment: ["MQTT_SESSION_EXPIRY": "never"]
        )
        #expect(never.mqtt.protocolVersion == .v5 && never.mqtt.sessionExpiry == nil)
        #expect(never.renderedYAML().contains("  session_expiry: never\n"))
        await #expect(throws: ConfigurationError.self) {
            try await BridgeConfiguration.load(filePath: file, environment: ["MQTT_PROTOCOL": "4"])
        }
    }

    @Test func aBrokenDeviceRegistryOrTheOldTemplateKeyIsAnIssue() async throws {
        let broken = try temporaryFile("dev-1: [not, tags]\n", name: "devices.yaml")
        let error = await #expect(throws: ConfigurationError.self) {
            try await BridgeConfiguration.load(
                filePath: try temporaryFile("mapping:\n  topic_template: \"a/{measurement}\"\n"),
                environment: ["MAPPING_DEVICE_REGISTRY": broken]
            )
        }
        #expect(error?.issues.map(\.key).sorted() == ["mapping.device_registry", "mapping.topic_template"])
    }

    @Test func unreadableFileIsAnIssueNotACrash() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await BridgeConfiguration.load(filePath: "/nonexistent/bridge.yaml", environment: [:])
        }
        #expect(error?.issues.first?.key == "/nonexistent/bridge.yaml")
    }

    @Test func tokensComeFromFilesAndSystemdCredentials() async throws {
        let tokenFile = try temporaryFile("from-file\n", name: "token")
        let fromFile = try await BridgeConfiguration.load(
            filePath: nil,
            environment: ["INFLUXDB_TOKEN_FILE": tokenFile]
        )
        #expect(fromFile.influxdb.token == Secret("from-file"))

        let credential = try temporaryFile("from-credential\n", name: "influxdb-token")
        let directory = URL(fileURLWithPath: credential).deletingLastPathComponent().path
        let fromCredential = try await BridgeConfiguration.load(
            filePath: nil,
            environment: ["CREDENTIALS_DIRECTORY": directory]
        )
        #expect(fromCredential.influxdb.token == Secret("from-credential"))

        let missing = await #expect(throws: ConfigurationError.self) {
            try await BridgeConfiguration.load(filePath: nil, environment: ["INFLUXDB_TOKEN_FILE": "/nonexistent"])
        }
        #expect(missing?.issues.map(\.key) == ["influxdb.token_file"])

        let both = await #expect(throws: ConfigurationError.self) {
            try await BridgeConfiguration.load(
                filePath: nil,
                environment: ["INFLUXDB_TOKEN_FILE": tokenFile, "INFLUXDB_TOKEN": "t"]
            )
        }
        #expect(both?.issues.map(\.key) == ["influxdb.token_file"])
    }

    @Test func eachSecretComesFromItsCredentialWhenSetNowhereElse() async throws {
        let directory = URL(fileURLWithPath: try temporaryFile("old-name-token\n", name: "influx-token"))
            .deletingLastPathComponent().path
        let oldName = try await BridgeConfiguration.load(
            filePath: nil,
            environment: ["CREDENTIALS_DIRECTORY": directory]
        )
        #expect(oldName.influxdb.token == Secret("old-name-token"))
        for (name, text) in [
            ("influxdb-token", "cred-token\n"), ("mqtt-password", "cred-password\n"), ("mqtt-tls-key", "KEY"),
            ("influxdb-tls-key", "KEY"),
        ] {
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        let environment = [
            "CREDENTIALS_DIRECTORY": directory, "MQTT_USERNAME": "u", "MQTT_TLS_CERT_FILE": "/m.pem",
            "INFLUXDB_TLS_CERT_FILE": "/i.pem",
        ]
        let fromCredentials = try await BridgeConfiguration.load(filePath: nil, environment: environment)
        #expect(fromCredentials.influxdb.token == Secret("cred-token"))
        #expect(fromCredentials.mqtt.password == Secret("cred-password"))
        #expect(fromCredentials.mqtt.tls.keyFile == directory + "/mqtt-tls-key")
        #expect(fromCredentials.influxdb.tls.keyFile == directory + "/influxdb-tls-key")

        let passwordFile = try temporaryFile("file-password\n", name: "password")
        let keysWin = try await BridgeConfiguration.load(
            filePath: nil,
            environment: environment.merging([
                "INFLUXDB_TOKEN": "env-token", "MQTT_PASSWORD_FILE": passwordFile, "MQTT_TLS_KEY_FILE": "/m.key",
                "INFLUXDB_TLS_KEY_FILE": "/i.key",
            ]) { $1 }
        )
        #expect(keysWin.influxdb.token == Secret("env-token") && keysWin.mqtt.password == Secret("file-password"))
        #expect(keysWin.mqtt.tls.keyFile == "/m.key" && keysWin.influxdb.tls.keyFile == "/i.key")

        // A key credential with no certificate to go with it is named, not silently used.
        let error = await #expect(throws: ConfigurationError.self) {
            try await BridgeConfiguration.load(filePath: nil, environment: ["CREDENTIALS_DIRECTORY": directory])
        }
        #expect(error?.issues.map(\.key) == ["mqtt.username", "mqtt.tls.cert_file", "influxdb.tls.cert_file"])
    }

    @Test func printedConfigurationNeverShowsSecretsAndReadsBack() async throws {
        let configuration = try await BridgeConfiguration.load(
            filePath: nil,
            environment: ["INFLUXDB_TOKEN": "super-secret-token", "MQTT_USERNAME": "u", "MQTT_PASSWORD": "hunter2"]
        )
        let printed = configuration.renderedYAML()
        #expect(!printed.contains("super-secret-token") && !printed.contains("hunter2"))
        #expect(printed.contains("token: \"<redacted>\""))
        var expected = configuration
        expected.influxdb.token = Secret("<redacted>")
        expected.mqtt.password = Secret("<redacted>")
        let reread = try await BridgeConfiguration.load(filePath: try temporaryFile(printed), environment: [:])
        #expect(reread == expected)
    }
}
