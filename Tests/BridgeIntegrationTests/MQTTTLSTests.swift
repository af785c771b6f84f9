// iotflow-bridge: MQTT over TLS end to end (issue 13, acceptance 1 and 2): the built bridge with a
// client certificate against mosquitto's TLS listener, into real InfluxDB 1.6.7.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Testing

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(5)))
struct MQTTTLSTests {
    private let database = "iotflow"

    @Test func fiveThousandMessagesLandThroughAClientCertificateTheBrokerNamesTheBridgeBy() async throws {
        let certificates = try TestCertificates()
        let (broker, influx) = try await startTLSBrokerAndInfluxDB(certificates, persistence: false)
        let identity = try certificates.makeClient(commonName: "bridge-cn-\(UUID().uuidString.prefix(6))")
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: influx.baseURL.absoluteString,
            extra: tlsEnvironment(caFile: certificates.caFile, identity: identity)
        )
        try await bridge.start()

        let publisher = try startTLSPublisher(broker, certificates, count: 5_000)
        try await requireAllAcknowledged(publisher, count: 5_000)
        try await eventually(timeout: .seconds(120), "5,000 points in InfluxDB") {
            try await landed(influx) >= 5_000
        }
        #expect(try await landed(influx) == 5_000)
        #expect(try await influx.count(measurement: "environment", field: "seq", database: database) == 5_000)
        // use_identity_as_username: the broker took the certificate's CN as the bridge's username.
        let clientID = try #require(bridge.environment["MQTT_CLIENT_ID"])
        let connections = broker.logText().split(separator: "\n").filter { $0.contains(" as \(clientID) ") }
        #expect(connections.count == 1 && connections[0].contains("u'\(identity.commonName)'"), "\(connections)")
        _ = await bridge.terminate()
    }

    @Test func anUnrelatedCAConnectsNothingLogsOneErrorAndTheRightCALaterTakesTheQueuedMessages() async throws {
        let certificates = try TestCertificates()
        let (broker, influx) = try await startTLSBrokerAndInfluxDB(certificates, persistence: true)
        let identity = try certificates.makeClient(commonName: "bridge-session")
        let clientID = "bridge-tls-\(UUID().uuidString.prefix(8))"
        func bridge(caFile: URL) -> BridgeProcess {
            BridgeProcess(
                brokerPort: broker.port,
                influxURL: influx.baseURL.absoluteString,
                extra: tlsEnvironment(caFile: caFile, identity: identity).merging(["MQTT_CLIENT_ID": clientID]) { $1 }
            )
        }
        // The first run makes the persistent session the broker queues into while the bridge is away.
        let first = bridge(caFile: certificates.caFile)
        try await first.start()
        #expect(await first.terminate().status == 0)

        let misconfigured = bridge(caFile: certificates.otherCAFile)
        try await misconfigured.start(waitingForSubscription: false)
        let publisher = try startTLSPublisher(broker, certificates, count: 2_000)
        try await requireAllAcknowledged(publisher, count: 2_000)
        try await eventually("a failed connect logged") { misconfigured.logText.contains("Cannot connect") }
        // Reconnects back off from 200 ms to 1 s: the tenth attempt, the next one logged, comes after
        // about 7 s; 3 s more is a window of several attempts and one line.
        try await Task.sleep(for: .seconds(3))
        // One line in all: no "Lost the MQTT connection" either when the handshake fails in a read.
        let errors = misconfigured.logText.split(separator: "\n").filter {
            $0.contains(" error ") || $0.contains(" warning ")
        }
        #expect(misconfigured.isRunning)
        #expect(errors.count == 1 && errors[0].contains("Cannot connect"), "\(misconfigured.logText)")
        let error = String(errors.first ?? "")
        #expect(error.contains("certificate verify failed") && error.contains("mqtt.tls.ca_file="), "\(error)")
        #expect(!misconfigured.logText.contains("Connected to the MQTT broker"))
        #expect(broker.logText().components(separatedBy: " as \(clientID) ").count - 1 == 1)
        #expect(try await landed(influx) == 0)
        #expect(await misconfigured.terminate().status == 0)

        let fixed = bridge(caFile: certificates.caFile)
        try await fixed.start()
        try await eventually(timeout: .seconds(120), "2,000 points in InfluxDB") {
            try await landed(influx) >= 2_000
        }
        #expect(try await landed(influx) == 2_000)
        _ = await fixed.terminate()
    }

    @Test func insecureSkipVerifyConnectsToABrokerOfAnUnrelatedCA() async throws {
        let certificates = try TestCertificates()
        let (broker, influx) = try await startTLSBrokerAndInfluxDB(certificates, persistence: false)
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: influx.baseURL.absoluteString,
            extra: tlsEnvironment(
                caFile: certificates.otherCAFile,
                identity: try certificates.makeClient(commonName: "bridge-insecure")
            ).merging(["MQTT_TLS_INSECURE_SKIP_VERIFY": "true"]) { $1 }
        )
        try await bridge.start()
        let publisher = try startTLSPublisher(broker, certificates, count: 100)
        try await requireAllAcknowledged(publisher, count: 100)
        try await eventually("100 points in InfluxDB") { try await landed(influx) >= 100 }
        _ = await bridge.terminate()
    }

    @Test func anUnreadableKeyFileIsNamedOnceAndTheBridgeKeepsRetrying() async throws {
        try Integration.requireServers()
        let certificates = try TestCertificates()
        let broker = try MosquittoBroker(tls: .init(certificates, requireClientCertificate: true))
        try await broker.start()
        let sink = try FakeInfluxServer()
        let identity = try certificates.makeClient(commonName: "bridge-no-key")
        let absentKey = certificates.directory.appendingPathComponent("absent.key")
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: sink.baseURL.absoluteString,
            extra: tlsEnvironment(caFile: certificates.caFile, identity: identity)
                .merging(["MQTT_TLS_KEY_FILE": absentKey.path]) { $1 }
        )
        try await bridge.start(waitingForSubscription: false)
        try await eventually("a failed connect logged") { bridge.logText.contains("Cannot connect") }
        try await Task.sleep(for: .seconds(2))
        let errors = bridge.logText.split(separator: "\n").filter { $0.contains(" error ") || $0.contains(" warning ") }
        #expect(bridge.isRunning)
        #expect(errors.count == 1, "\(bridge.logText)")
        let error = String(errors.first ?? "")
        #expect(error.contains("mqtt.tls.key_file: cannot read \(absentKey.path): No such file"), "\(error)")
        #expect(await bridge.terminate().status == 0)
    }

    // MARK: - Helpers

    /// mosquitto with a TLS listener that requires a client certificate of the test CA, and InfluxDB.
    private func startTLSBrokerAndInfluxDB(
        _ certificates: TestCertificates,
        persistence: Bool
    ) async throws -> (MosquittoBroker, InfluxDB1Server) {
        try Integration.requireServers()
        let broker = try MosquittoBroker(tls: .init(certificates, requireClientCertificate: true))
        try await broker.start(persistence: persistence)
        let influx = try InfluxDB1Server()
        try await influx.start()
        try await influx.createDatabase(database)
        return (broker, influx)
    }

    private func tlsEnvironment(caFile: URL, identity: CertificatePair) -> [String: String] {
        [
            "MQTT_HOST": "localhost", "MQTT_TLS_CA_FILE": caFile.path,
            "MQTT_TLS_CERT_FILE": identity.certificateFile.path, "MQTT_TLS_KEY_FILE": identity.keyFile.path,
        ]
    }

    /// Distinct `seq` values stored in `environment`.
    private func landed(_ influx: InfluxDB1Server) async throws -> Int {
        let result = try await influx.query("SELECT COUNT(DISTINCT(seq)) FROM environment", database: database)
        return Int(result.first?.values.first?.last?.int ?? 0)
    }

    /// `iotflow-sim publish` over TLS with a client certificate of its own, 5,000 a second.
    private func startTLSPublisher(
        _ broker: MosquittoBroker,
        _ certificates: TestCertificates,
        count: Int
    ) throws -> ManagedProcess {
        let identity = try certificates.makeClient(commonName: "publisher-\(UUID().uuidString.prefix(6))")
        return try ManagedProcess(
            executable: try Integration.product("iotflow-sim"),
            arguments: [
                "publish", "--host", "localhost", "--port", "\(broker.port)", "--devices", "20", "--count", "\(count)",
                "--rate", "5000", "--qos", "1", "--timestamp", "epoch-ms", "--timeout", "120",
                "--cafile", certificates.caFile.path, "--cert", identity.certificateFile.path,
                "--key", identity.keyFile.path,
            ],
            logURL: URL(fileURLWithPath: temporaryPath("iotflow-publisher", extension: "log"))
        )
    }
}
