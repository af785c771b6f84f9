// iotflow-bridge: the built binary's check-config and print-config.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(1)))
struct CommandLineTests {
    private func configFile(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("iotflow-cli-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func checkConfigNamesAllThreeMistakes() async throws {
        let file = try configFile(
            """
            mqtt:
              qos: 7
            influxdb:
              api: v4
              flush_interval: soon
            """
        )
        let (status, output) = try await runProgram(
            try Integration.product("iotflow-bridge"),
            ["check-config", "--config", file]
        )
        #expect(status == 1)
        #expect(output.contains("3 configuration problems"))
        for key in ["mqtt.qos", "influxdb.api", "influxdb.flush_interval"] {
            #expect(output.contains("  \(key): "), "\(key) not named in: \(output)")
        }
    }

    @Test func checkConfigAcceptsTheSampleFile() async throws {
        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("etc/iotflow-bridge.yaml").path
        let (status, output) = try await runProgram(
            try Integration.product("iotflow-bridge"),
            ["check-config", "-c", sample]
        )
        #expect(status == 0 && output.contains("configuration OK"), "\(output)")
    }

    @Test func checkConfigAcceptsGoodTLSFilesAndNamesEachBadOne() async throws {
        let certificates = try TestCertificates()
        let client = try certificates.makeClient(commonName: "device-1")
        let expired = try certificates.makeExpiredServer()
        let good = try configFile(
            """
            mqtt:
              tls:
                ca_file: "\(certificates.caFile.path)"
                ca_path: "\(certificates.directory.path)"
                cert_file: "\(client.certificateFile.path)"
                key_file: "\(client.keyFile.path)"
            """
        )
        let accepted = try await runProgram(try Integration.product("iotflow-bridge"), ["check-config", "-c", good])
        #expect(accepted.status == 0 && accepted.output.contains("configuration OK"), "\(accepted.output)")
        #expect(!accepted.output.contains("warning"), "\(accepted.output)")

        let bad = try configFile(
            """
            mqtt:
              tls:
                ca_file: "/nonexistent/ca.pem"
                cert_file: "\(good)"
                key_file: "\(client.keyFile.path)"
            influxdb:
              tls:
                ca_path: "/nonexistent/cas"
                cert_file: "\(expired.certificateFile.path)"
                key_file: "\(client.keyFile.path)"
            """
        )
        let (status, output) = try await runProgram(
            try Integration.product("iotflow-bridge"),
            ["check-config", "-c", bad]
        )
        #expect(status == 1 && output.contains("5 configuration problems"), "\(output)")
        let expected = [
            "mqtt.tls.ca_file: cannot open /nonexistent/ca.pem: No such file or directory",
            "mqtt.tls.cert_file: holds no PEM certificate (OpenSSL: no start line)",
            "influxdb.tls.ca_path: cannot open the directory /nonexistent/cas: No such file or directory",
            "influxdb.tls.cert_file: has expired",
            "influxdb.tls.key_file: does not match the certificate in \(expired.certificateFile.path) (OpenSSL: key values mismatch)",
        ]
        for line in expected { #expect(output.contains("  \(line)\n"), "\(line) not in: \(output)") }
        #expect(!output.contains(try String(contentsOf: client.keyFile, encoding: .utf8).split(separator: "\n")[1]))
    }

    @Test func checkConfigWarnsOfSecretFilesOthersMayRead() async throws {
        let certificates = try TestCertificates()
        let client = try certificates.makeClient(commonName: "device-2")
        let password = try configFile("pw\n")
        let token = try configFile("tok\n")
        chmod(password, 0o644)
        chmod(token, 0o640)
        chmod(client.keyFile.path, 0o604)
        // A credential is systemd's to protect: its mode is not warned about.
        let credentials = URL(fileURLWithPath: password).deletingLastPathComponent().appendingPathComponent(
            "credentials-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: false)
        try FileManager.default.copyItem(at: client.keyFile, to: credentials.appendingPathComponent("influxdb-tls-key"))
        chmod(credentials.appendingPathComponent("influxdb-tls-key").path, 0o644)
        let file = try configFile("influxdb:\n  password: \"ip\"\n  username: \"iu\"\n")
        chmod(file, 0o644)
        let (status, output) = try await runProgram(
            try Integration.product("iotflow-bridge"),
            ["check-config", "-c", file],
            environment: [
                "MQTT_USERNAME": "u", "MQTT_PASSWORD_FILE": password, "INFLUXDB_TOKEN_FILE": token,
                "MQTT_TLS_CERT_FILE": client.certificateFile.path, "MQTT_TLS_KEY_FILE": client.keyFile.path,
                "CREDENTIALS_DIRECTORY": credentials.path, "INFLUXDB_TLS_CERT_FILE": client.certificateFile.path,
            ]
        )
        #expect(status == 0, "\(output)")
        let expected = [
            "mqtt.password_file '\(password)' is readable by others (mode 0644)",
            "influxdb.token_file '\(token)' is readable by its group (mode 0640)",
            "mqtt.tls.key_file '\(client.keyFile.path)' is readable by others (mode 0604)",
            "influxdb.password is in '\(file)', which is readable by others (mode 0644)",
        ]
        for line in expected { #expect(output.contains("warning: \(line)"), "\(line) not in: \(output)") }
        #expect(output.components(separatedBy: "warning: ").count == 5, "\(output)")
    }

    @Test func printConfigShowsOverridesButNeverTheToken() async throws {
        let (status, output) = try await runProgram(
            try Integration.product("iotflow-bridge"),
            ["print-config"],
            environment: [
                "INFLUXDB_TOKEN": "tok-9f8e7d", "INFLUXDB_BATCH_SIZE": "1234", "INFLUXDB3_TOKEN": "v3-secret",
            ]
        )
        #expect(status == 0, "\(output)")
        #expect(output.contains("batch_size: 1234") && output.contains("token: \"<redacted>\""))
        #expect(!output.contains("tok-9f8e7d") && !output.contains("v3-secret"))
    }
}
