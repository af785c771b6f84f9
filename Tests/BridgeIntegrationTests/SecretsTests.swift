// iotflow-bridge: no secret in the bridge's output, its dead-letter files or print-config (issue 13,
// acceptance 5), and no core file to leak them.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Synchronization
import Testing

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(3)))
struct SecretsTests {
    /// The built bridge, at debug level, gets the InfluxDB token and its TLS key as systemd credentials
    /// and the MQTT password from a file. The broker requires the password; the sink first answers
    /// 401, then rejects the lines of one device with 400; a junk payload is refused by the mapping.
    /// Neither the token, the password nor a line of the key's PEM body appears anywhere the bridge
    /// writes, nor in check-config's or print-config's output.
    @Test func noSecretAppearsInTheOutputTheDeadLettersOrPrintConfig() async throws {
        try Integration.requireServers()
        let token = "tok-\(UUID().uuidString)"
        let password = "pw-\(UUID().uuidString)"
        let certificates = try TestCertificates()
        let client = try certificates.makeClient(commonName: "bridge")
        let keyBody = try String(contentsOf: client.keyFile, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("-----") }.map(String.init)
        try #require(!keyBody.isEmpty)

        let credentials = URL(fileURLWithPath: temporaryPath("iotflow-credentials"))
        try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: credentials) }
        try token.write(to: credentials.appendingPathComponent("influxdb-token"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: client.keyFile, to: credentials.appendingPathComponent("influxdb-tls-key"))
        let passwordFile = credentials.appendingPathComponent("mqtt-password.txt").path
        try "\(password)\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let brokerPasswords = credentials.appendingPathComponent("mosquitto.passwd").path
        for (user, secret, create) in [("bridge", password, true), ("device", "device-pw", false)] {
            let (status, output) = try await runProgram(
                "/usr/bin/mosquitto_passwd",
                (create ? ["-c"] : []) + ["-b", brokerPasswords, user, secret]
            )
            try #require(status == 0, "mosquitto_passwd: \(output)")
        }
        let broker = try MosquittoBroker(extraConfiguration: [
            "password_file \(brokerPasswords)", "allow_anonymous false",
        ])
        try await broker.start()
        defer { Task { await broker.stop() } }

        let answered = Counter()
        let sink = try FakeInfluxServer { request in
            if let schema = FakeResponse.emptySchema(forPath: request.path) { return schema }
            guard request.headers["authorization"] == "Token \(token)", answered.next() > 0 else {
                return .v1Error(status: 401, message: "authorization failed")
            }
            return request.decodedBody.contains("device_id=rejected")
                ? .v1Error(status: 400, message: "unable to parse 'environment,device_id=rejected': bad")
                : .noContent
        }
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: sink.baseURL.absoluteString,
            extra: [
                "CREDENTIALS_DIRECTORY": credentials.path, "MQTT_USERNAME": "bridge",
                "MQTT_PASSWORD_FILE": passwordFile,
                "INFLUXDB_TLS_CERT_FILE": client.certificateFile.path, "LOGGING_LEVEL": "debug",
                "DEAD_LETTERS_MAX_BYTES": "1048576",
            ]
        )
        try await bridge.start()
        for (device, payload) in [("good", #"{"v":1}"#), ("rejected", #"{"v":2}"#), ("junk", "not json {")] {
            let (status, output) = try await runProgram(
                "/usr/bin/mosquitto_pub",
                [
                    "-h", "127.0.0.1", "-p", "\(broker.port)", "-u", "device", "-P", "device-pw", "-q", "1",
                    "-t", "iotflow/devices/\(device)/telemetry/environment", "-m", payload,
                ]
            )
            try #require(status == 0, "mosquitto_pub: \(output)")
        }
        let deadLetters = bridge.stateDirectory + "/dead-letters.jsonl"
        let refused = bridge.stateDirectory + "/dead-letters.refused.jsonl"
        try await eventually(timeout: .seconds(30), "a rejected and a refused dead letter") {
            let text = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
            return text(deadLetters).contains("device_id=rejected") && text(refused).contains("junk")
        }
        let limits = try String(contentsOfFile: "/proc/\(try #require(bridge.pid))/limits", encoding: .utf8)
        // RLIMIT_CORE, soft and hard, is 0: no core file can hold what the process knows.
        let coreLimit = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }
        #expect(coreLimit?.split(separator: " ").dropFirst(4).prefix(2).map(String.init) == ["0", "0"], "\(limits)")
        _ = await bridge.terminate()

        let product = try Integration.product("iotflow-bridge")
        let printed = try await runProgram(product, ["print-config"], environment: bridge.environment)
        let checked = try await runProgram(product, ["check-config"], environment: bridge.environment)
        #expect(printed.status == 0 && checked.status == 0, "\(printed.output)\(checked.output)")
        // Each secret was used: the broker allows no anonymous client, and the sink saw the token.
        #expect(broker.logText().contains("u'bridge'"), "\(broker.logText())")
        #expect(sink.requests.contains { $0.headers["authorization"] == "Token \(token)" })
        let places = [
            ("the bridge's output", bridge.logText), ("print-config", printed.output), ("check-config", checked.output),
            ("the rejected lines", try String(contentsOfFile: deadLetters, encoding: .utf8)),
            ("the refused messages", try String(contentsOfFile: refused, encoding: .utf8)),
        ]
        for (place, text) in places {
            #expect(!text.contains(token), "the token is in \(place)")
            #expect(!text.contains(password), "the MQTT password is in \(place)")
            for line in keyBody { #expect(!text.contains(line), "the TLS key is in \(place)") }
        }
    }
}

/// Counts calls from any thread: the first `next()` returns 0.
private final class Counter: Sendable {
    private let value = Mutex(0)

    func next() -> Int {
        value.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}
