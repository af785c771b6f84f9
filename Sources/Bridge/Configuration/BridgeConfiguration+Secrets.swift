// iotflow-bridge: secrets from files and systemd credentials, so the YAML holds none.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation

extension BridgeConfiguration {
    /// The systemd credentials (`LoadCredential=<name>:<path>`) the bridge looks for in
    /// `$CREDENTIALS_DIRECTORY`, each used only when its key is set nowhere else.
    enum Credential: String, CaseIterable {
        /// `influxdb.token`.
        case influxToken = "influxdb-token"
        /// `influxdb.token`, under the name the bridge used before `influxdb-token`.
        case influxTokenOldName = "influx-token"
        /// `mqtt.password`.
        case mqttPassword = "mqtt-password"
        /// `mqtt.tls.key_file`: the credential's path becomes the key file.
        case mqttTLSKey = "mqtt-tls-key"
        /// `influxdb.tls.key_file`.
        case influxTLSKey = "influxdb-tls-key"
    }

    /// Fills the token, the MQTT password and the TLS keys from `*_file` keys and systemd
    /// credentials. Precedence, for each: the key itself (file or environment variable), then its
    /// `*_file` key, then the credential. Setting both a secret and its `*_file` is an issue.
    ///
    /// The TLS keys are not read here: the credential's path becomes `tls.key_file`, which the
    /// libraries open at connect time (and `check-config` checks).
    mutating func readSecretFiles(environment: [String: String], source: inout ConfigurationSource) {
        let credentials = environment["CREDENTIALS_DIRECTORY"].map { URL(fileURLWithPath: $0) }
        func credentialPath(_ credential: Credential) -> String? {
            guard let path = credentials?.appendingPathComponent(credential.rawValue).path,
                FileManager.default.fileExists(atPath: path)
            else { return nil }
            return path
        }
        func credential(_ credential: Credential) -> Secret? {
            credentialPath(credential).flatMap {
                Self.secret(inFile: $0, key: "$CREDENTIALS_DIRECTORY/\(credential.rawValue)", source: &source)
            }
        }
        // Checked here rather than in validate(): once read, the file's secret is the value.
        if let path = influxdb.tokenFile {
            if influxdb.token != nil {
                source.issue("influxdb.token_file", "set either influxdb.token or influxdb.token_file, not both")
            }
            influxdb.token = Self.secret(inFile: path, key: "influxdb.token_file", source: &source)
        } else if influxdb.token == nil {
            influxdb.token = credential(.influxToken) ?? credential(.influxTokenOldName)
        }
        if let path = mqtt.passwordFile {
            if mqtt.password != nil {
                source.issue("mqtt.password_file", "set either mqtt.password or mqtt.password_file, not both")
            }
            mqtt.password = Self.secret(inFile: path, key: "mqtt.password_file", source: &source)
        } else if mqtt.password == nil {
            mqtt.password = credential(.mqttPassword)
        }
        mqtt.tls.keyFile = mqtt.tls.keyFile ?? credentialPath(.mqttTLSKey)
        influxdb.tls.keyFile = influxdb.tls.keyFile ?? credentialPath(.influxTLSKey)
    }

    /// The secret in the file at `path`, without trailing newlines; an issue naming `key` (never the
    /// contents) when it cannot be read or is empty.
    private static func secret(inFile path: String, key: String, source: inout ConfigurationSource) -> Secret? {
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
}
