// iotflow-bridge: InfluxDB 1.6.7 over https with `influxdb.tls` (issue 13, acceptance item 3).
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import BridgeTestSupport
import Foundation
import Glibc
import InMemoryLogging
import Logging
import Testing

/// influxd serves https only, with a server certificate for 127.0.0.1 from the test CA, which no
/// system trust store knows.
@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(4)))
struct InfluxTLSTests {
    private let database = "iotflow"

    private func startHTTPSInfluxDB(_ certificates: TestCertificates) async throws -> InfluxDB1Server {
        let influx = try InfluxDB1Server(
            https: .init(
                certificateFile: certificates.server.certificateFile,
                keyFile: certificates.server.keyFile,
                caFile: certificates.caFile
            )
        )
        try await influx.start()
        try await influx.createDatabase(database)
        return influx
    }

    /// The file the bridge reads `influxdb.tls` from; the rest comes from the environment.
    private func writeConfiguration(_ path: String, caFile: URL?) throws {
        let tls = caFile.map { "  tls:\n    ca_file: \"\($0.path)\"\n" } ?? ""
        try "influxdb:\n  batch_size: 500\n\(tls)".write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func withoutTheCANothingIsWrittenOrLostAndAfterSIGHUPWithItAllTwoThousandLand() async throws {
        try Integration.requireServers()
        let certificates = try TestCertificates()
        let influx = try await startHTTPSInfluxDB(certificates)
        let broker = try MosquittoBroker()
        try await broker.start()
        let file = temporaryPath("iotflow-influx-tls", extension: "yaml")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try writeConfiguration(file, caFile: nil)
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: influx.baseURL.absoluteString,
            configFile: file
        )
        try await bridge.start()

        try await publish(port: broker.port, devices: 20, count: 2_000)
        let failure = "TLS failed (influxdb.tls.ca_file unset: the system CAs): SSL certificate problem:"
        // The schema reader's warning names the same key; the writer's error line is the one waited for.
        func writeFailures() -> [Substring] {
            bridge.logText.split(separator: "\n").filter { $0.contains("InfluxDB write failed") }
        }
        try await eventually(timeout: .seconds(30), "a write to fail verification") { !writeFailures().isEmpty }
        #expect(try await influx.count(measurement: "environment", field: "seq", database: database) == 0)

        try writeConfiguration(file, caFile: certificates.caFile)
        let pid = try #require(bridge.pid)
        #expect(kill(pid, SIGHUP) == 0)
        try await eventually(timeout: .seconds(60), "2,000 points in InfluxDB") {
            try await influx.count(measurement: "environment", field: "seq", database: database) == 2_000
        }
        let distinct = try await influx.query("SELECT COUNT(DISTINCT(seq)) FROM environment", database: database)
        #expect(distinct.first?.values.first?.last?.int == 2_000)
        #expect(await bridge.terminate().status == 0)

        // One error line for the whole streak of failures (the writer's rate limit), naming the key.
        let log = bridge.logText
        #expect(writeFailures().count == 1 && writeFailures().allSatisfy { $0.contains(failure) }, "\(log)")
        #expect(!log.contains("write_errors=0"), "\(log)")
        #expect(log.contains("Writing with the reloaded influxdb settings."), "\(log)")
    }

    @Test func aFailoverURLOverHTTPSUsesTheSameTLSSettings() async throws {
        try Integration.requireServers()
        _ = Integration.librariesReady
        let certificates = try TestCertificates()
        let influx = try await startHTTPSInfluxDB(certificates)
        let down = "https://127.0.0.1:\(FreePort.next())"
        func transport(caFile: URL) throws -> CurlInfluxTransport {
            let configuration = InfluxConfiguration(
                api: .v1,
                url: down,
                failoverURLs: [influx.baseURL.absoluteString],
                database: database,
                connectTimeout: .seconds(2),
                tls: TLSConfiguration(caFile: caFile.path)
            )
            return try CurlInfluxTransport(
                configuration: configuration,
                logger: Logger(label: "test") { _ in
                    InMemoryLogHandler()
                }
            )
        }

        let untrusting = try transport(caFile: certificates.otherCAFile)
        _ = untrusting.write(ArraySlice("m,device_id=a v=1 1\n".utf8))  // no reply: fails over
        let refused = untrusting.write(ArraySlice("m,device_id=a v=1 1\n".utf8))
        guard case .retryable(nil, let reason) = refused else {
            Issue.record("a failed verification is retryable without a status, got \(refused)")
            return
        }
        #expect(
            reason.contains(
                "TLS failed (influxdb.tls.ca_file=\(certificates.otherCAFile.path)): SSL certificate problem: "
            )
        )

        let trusting = try transport(caFile: certificates.caFile)
        _ = trusting.write(ArraySlice("m,device_id=a v=1 1\n".utf8))
        #expect(trusting.write(ArraySlice("m,device_id=a v=2 2\n".utf8)) == .accepted)
        #expect(try await influx.count(measurement: "m", field: "v", database: database) == 1)
    }
}
