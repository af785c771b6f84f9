// iotflow-bridge: setTLS against a real mosquitto TLS listener: what connects, and what a failure says.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import CMosquitto
import Foundation
import Glibc
import Mosquitto
import Testing

private let bootstrap: Void = MosquittoLibrary.initialize()

/// What a connection attempt saw; touched only by the test's thread, which drives the loop.
private final class Attempt {
    var accepted = false
    var errorLines: [String] = []
}

@Suite(.serialized, .timeLimit(.minutes(1))) struct MosquittoTLSTests {
    init() {
        _ = bootstrap
    }

    @Test func aClientCertificateConnectsAndTheBrokerTakesItsCommonNameAsTheUsername() async throws {
        let certificates = try TestCertificates()
        let broker = try MosquittoBroker(tls: .init(certificates, requireClientCertificate: true))
        try await broker.start()
        let device = try certificates.makeClient(commonName: "esp32-tls-\(getpid())")
        let (client, attempt) = try makeClient()
        try client.setTLS(
            caFile: certificates.caFile.path,
            caPath: nil,
            certificateFile: device.certificateFile.path,
            keyFile: device.keyFile.path,
            minimumVersion: .v1_2,
            verifyingPeer: true
        )
        let outcome = try connect(client, to: broker, attempt)
        #expect(outcome == nil && attempt.accepted, "\(attempt.errorLines)")
        #expect(broker.logText().contains("u'\(device.commonName)'"), "\(broker.logText())")
    }

    @Test func anUnrelatedCAFailsTheHandshakeWithOpenSSLsReasonInTheLog() async throws {
        let certificates = try TestCertificates()
        let broker = try MosquittoBroker(tls: .init(certificates, requireClientCertificate: false))
        try await broker.start()
        let (client, attempt) = try makeClient()
        try client.setTLS(
            caFile: certificates.otherCAFile.path,
            caPath: nil,
            certificateFile: nil,
            keyFile: nil,
            minimumVersion: .v1_2,
            verifyingPeer: true
        )
        let outcome = try connect(client, to: broker, attempt)
        #expect(outcome?.code == MOSQ_ERR_TLS.rawValue && !attempt.accepted)
        #expect(attempt.errorLines.contains { $0.contains("certificate verify failed") }, "\(attempt.errorLines)")
    }

    /// A broker whose certificate expired, or names another host, fails the handshake like an
    /// unrelated CA does, with OpenSSL's or libmosquitto's reason in the log.
    @Test(arguments: ["expired", "wrong host"])
    func aBrokerCertificateThatIsExpiredOrForAnotherHostFailsTheHandshake(_ flaw: String) async throws {
        let certificates = try TestCertificates()
        let server =
            flaw == "expired"
            ? try certificates.makeExpiredServer()
            : try certificates.makeServer(commonName: "elsewhere.example", alternativeNames: ["DNS:elsewhere.example"])
        let broker = try MosquittoBroker(
            tls: .init(caFile: certificates.caFile, server: server, requireClientCertificate: false)
        )
        try await broker.start()
        let (client, attempt) = try makeClient()
        try client.setTLS(
            caFile: certificates.caFile.path,
            caPath: nil,
            certificateFile: nil,
            keyFile: nil,
            minimumVersion: .v1_2,
            verifyingPeer: true
        )
        let outcome = try connect(client, to: broker, attempt)
        #expect(outcome != nil && !attempt.accepted, "\(flaw): \(attempt.errorLines)")
        let reason = flaw == "expired" ? "certificate verify failed" : "host name verification failed"
        #expect(attempt.errorLines.contains { $0.contains(reason) }, "\(flaw): \(attempt.errorLines)")
    }

    @Test func notVerifyingThePeerAcceptsAnUnrelatedCA() async throws {
        let certificates = try TestCertificates()
        let broker = try MosquittoBroker(tls: .init(certificates, requireClientCertificate: false))
        try await broker.start()
        let (client, attempt) = try makeClient()
        try client.setTLS(
            caFile: certificates.otherCAFile.path,
            caPath: nil,
            certificateFile: nil,
            keyFile: nil,
            minimumVersion: .v1_2,
            verifyingPeer: false
        )
        let outcome = try connect(client, to: broker, attempt)
        #expect(outcome == nil && attempt.accepted, "\(attempt.errorLines)")
    }

    @Test func aMissingKeyFileThrowsAtOnceWithTheSystemsReason() throws {
        let certificates = try TestCertificates()
        let device = try certificates.makeClient(commonName: "no-key")
        let (client, _) = try makeClient()
        let error = try #require(throws: MosquittoError.self) {
            try client.setTLS(
                caFile: certificates.caFile.path,
                caPath: nil,
                certificateFile: device.certificateFile.path,
                keyFile: certificates.directory.appendingPathComponent("absent.key").path,
                minimumVersion: .v1_2,
                verifyingPeer: true
            )
        }
        #expect(error.code == MOSQ_ERR_ERRNO.rawValue && error.systemErrno == ENOENT, "\(error)")
    }

    private func makeClient() throws -> (MosquittoClient, Attempt) {
        let attempt = Attempt()
        var callbacks = MosquittoCallbacks()
        callbacks.onConnect = { result, _ in attempt.accepted = result == 0 }
        callbacks.onLog = { level, text in
            if level == MOSQ_LOG_ERR { attempt.errorLines.append(text) }
        }
        let client = try MosquittoClient(clientID: nil, cleanSession: true, threaded: false, callbacks: callbacks)
        return (client, attempt)
    }

    /// Connects and loops until the CONNACK or an error, for at most 5 s; returns the error.
    private func connect(
        _ client: MosquittoClient,
        to broker: MosquittoBroker,
        _ attempt: Attempt
    ) throws -> MosquittoError? {
        let deadline = ContinuousClock.now + .seconds(5)
        do {
            try client.connect(host: broker.host, port: Int(broker.port), keepaliveSeconds: 30)
            while !attempt.accepted {
                try #require(ContinuousClock.now < deadline, "no CONNACK and no error in 5 s")
                try client.loop(timeoutMilliseconds: 100)
            }
            return nil
        } catch let error as MosquittoError {
            return error
        }
    }
}
