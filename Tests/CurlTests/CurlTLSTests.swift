// iotflow-bridge: the handle's TLS options against `openssl s_server` with test certificates.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Curl
import Foundation
import Glibc
import Testing

private let bootstrap: Void = CurlLibrary.initialize()

/// `openssl s_server -www` on a free loopback port. It answers only `GET`, so a POST over a
/// completed handshake waits for the handle's timeout: a timeout (not a TLS failure) is what a
/// working connection looks like here. With `requireClientCertificate` it verifies the client's
/// certificate against the test CA and logs its subject, which proves the certificate was sent.
private final class TLSServer {
    let port = FreePort.next()
    let process: ManagedProcess
    let log = URL(fileURLWithPath: NSTemporaryDirectory() + "s_server-\(UUID().uuidString.prefix(8)).log")

    init(
        _ certificates: TestCertificates,
        requireClientCertificate: Bool = false,
        tls1_2Only: Bool = false
    )
        async throws
    {
        var arguments = [
            "s_server", "-accept", "127.0.0.1:\(port)", "-www", "-cert", certificates.server.certificateFile.path,
            "-key", certificates.server.keyFile.path, "-CAfile", certificates.caFile.path,
        ]
        if requireClientCertificate { arguments += ["-Verify", "1", "-verify_return_error"] }
        if tls1_2Only { arguments += ["-tls1_2"] }
        process = try ManagedProcess(executable: "/usr/bin/openssl", arguments: arguments, logURL: log)
        try await eventually("s_server listening") { process.logText().contains("ACCEPT") }
    }

    deinit {
        kill(process.pid, SIGKILL)
        try? FileManager.default.removeItem(at: log)
    }

    var url: String { "https://127.0.0.1:\(port)/write" }

    /// POSTs through a new handle with `tls`, and returns the error (nil only if a reply came).
    func post(_ tls: CurlTLSOptions) -> CurlError? {
        do {
            _ = try CurlEasyHandle(tls: tls).post(
                url: url,
                headers: [],
                body: Array("m v=1\n".utf8),
                timeout: .seconds(1),
                connectTimeout: .seconds(1)
            )
            return nil
        } catch {
            return error
        }
    }
}

/// Polls `condition` every 20 ms for at most 10 s.
private func eventually(_ what: String, _ condition: () -> Bool) async throws {
    for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(20)) }
    guard condition() else { throw HarnessError("timed out waiting for \(what)") }
}

@Suite(.serialized, .timeLimit(.minutes(1))) struct CurlTLSTests {
    init() {
        _ = bootstrap
    }

    @Test func anUntrustedServerFailsVerificationWithOpenSSLsReasonAndATrustedOneConnects() async throws {
        let certificates = try TestCertificates()
        let server = try await TLSServer(certificates)
        let untrusted = server.post(CurlTLSOptions(caFile: certificates.otherCAFile.path))
        #expect(untrusted?.tlsFailure == .serverCertificate)
        // OpenSSL's reason: s_server sends the test CA along, so "self-signed certificate in chain".
        #expect(untrusted?.message.hasPrefix("SSL certificate problem: ") == true, "\(String(describing: untrusted))")
        // The system CAs do not know the test CA either.
        #expect(server.post(CurlTLSOptions())?.tlsFailure == .serverCertificate)

        let trusted = server.post(CurlTLSOptions(caFile: certificates.caFile.path))
        #expect(trusted?.tlsFailure == nil && trusted?.isTimeout == true, "\(String(describing: trusted))")
        // insecure_skip_verify: any certificate, any name.
        let unverified = server.post(CurlTLSOptions(verifiesServer: false))
        #expect(unverified?.tlsFailure == nil && unverified?.isTimeout == true, "\(String(describing: unverified))")
    }

    @Test func theClientCertificateIsSentAndVerified() async throws {
        let certificates = try TestCertificates()
        let client = try certificates.makeClient(commonName: "bridge-7")
        let server = try await TLSServer(certificates, requireClientCertificate: true)

        // Without one, the server ends the handshake ("tlsv13 alert certificate required").
        let refused = server.post(CurlTLSOptions(caFile: certificates.caFile.path))
        #expect(refused != nil && refused?.isTimeout == false, "\(String(describing: refused))")
        #expect(refused?.message.contains("certificate required") == true, "\(String(describing: refused))")

        let options = CurlTLSOptions(
            caFile: certificates.caFile.path,
            certFile: client.certificateFile.path,
            keyFile: client.keyFile.path
        )
        let accepted = server.post(options)
        #expect(accepted?.tlsFailure == nil && accepted?.isTimeout == true, "\(String(describing: accepted))")
        try await eventually("s_server to verify the client") {
            server.process.logText().contains("depth=0 CN = bridge-7")
        }
    }

    @Test func aMissingKeyFileIsAClientCertificateFailureNamingIt() async throws {
        let certificates = try TestCertificates()
        let client = try certificates.makeClient(commonName: "bridge-8")
        let server = try await TLSServer(certificates, requireClientCertificate: true)
        let missing = certificates.directory.appendingPathComponent("absent.key").path
        let error = server.post(
            CurlTLSOptions(caFile: certificates.caFile.path, certFile: client.certificateFile.path, keyFile: missing)
        )
        #expect(error?.tlsFailure == .clientCertificate)
        #expect(error?.message.contains(missing) == true, "\(String(describing: error))")
    }

    @Test func aMinimumOfTLS1_3RefusesAServerThatStopsAt1_2() async throws {
        let certificates = try TestCertificates()
        let server = try await TLSServer(certificates, tls1_2Only: true)
        let refused = server.post(CurlTLSOptions(caFile: certificates.caFile.path, minimumVersion: .tls1_3))
        #expect(refused?.tlsFailure == .handshake, "\(String(describing: refused))")
        let accepted = server.post(CurlTLSOptions(caFile: certificates.caFile.path, minimumVersion: .tls1_2))
        #expect(accepted?.tlsFailure == nil && accepted?.isTimeout == true, "\(String(describing: accepted))")
    }
}
