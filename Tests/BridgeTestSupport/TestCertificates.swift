// iotflow-bridge: throwaway certificate authorities and certificates made with openssl for TLS tests.
// SPDX-License-Identifier: Apache-2.0

public import Foundation

/// A certificate file and its private key file, both PEM.
public struct CertificatePair: Sendable {
    /// The subject's common name (the identity `use_identity_as_username` reports for a client).
    public let commonName: String
    /// The certificate, PEM.
    public let certificateFile: URL
    /// Its private key (EC P-256, PKCS#8 PEM, unencrypted, mode 0600).
    public let keyFile: URL
}

/// A test certificate authority, an unrelated second one, and certificates issued on demand, all generated
/// with the `openssl` command into one scratch directory that is removed in `deinit`.
///
/// What `init` makes:
///
/// | Property | What it is |
/// | --- | --- |
/// | `caFile` | the test CA ("iotflow test CA"), valid 2 days |
/// | `otherCAFile` | an unrelated CA ("iotflow unrelated CA"): verifying against it must fail |
/// | `server` | CN=localhost, SAN `IP:127.0.0.1, DNS:localhost`, serverAuth, issued by the test CA |
///
/// On demand: `makeClient(commonName:)` (clientAuth, CN as given), `makeServer(commonName:alternativeNames:)`
/// (for a wrong-host case, e.g. `["DNS:elsewhere.example"]`), `makeExpiredServer()` (valid for 127.0.0.1 but
/// its notAfter lies a day in the past, so verification fails with "certificate has expired").
///
/// Keys are EC P-256: mosquitto, libcurl and influxd (Go) all accept them, and they take milliseconds to
/// generate where RSA takes tenths of a second. Every openssl run is bounded by its own short work; a
/// failure throws `HarnessError` with openssl's stderr. Safe from any thread; each call writes new files.
public final class TestCertificates: Sendable {
    /// The scratch directory holding every file; removed in `deinit` (kept with `IOTFLOW_TEST_KEEP_DIRS`).
    public let directory: URL
    /// The test CA's certificate (PEM), the file to give as `ca_file`.
    public let caFile: URL
    /// An unrelated CA's certificate (PEM): nothing here is signed by it.
    public let otherCAFile: URL
    /// A server certificate for 127.0.0.1 and localhost, signed by the test CA.
    public let server: CertificatePair

    private let caKeyFile: URL
    private let openssl: String

    /// Generates the two CAs and the server certificate (a few tens of milliseconds).
    ///
    /// - Throws: `HarnessError` if openssl is missing or fails.
    public init() throws {
        guard let openssl = ServerBinaries.find("openssl", preferring: "/usr/bin/openssl") else {
            throw HarnessError("openssl is not installed (apt-get install openssl)")
        }
        self.openssl = openssl
        self.directory = try ScratchDirectory.make(prefix: "certs")
        self.caFile = directory.appendingPathComponent("ca.pem")
        self.caKeyFile = directory.appendingPathComponent("ca.key")
        self.otherCAFile = directory.appendingPathComponent("other-ca.pem")
        try Self.makeAuthority(openssl: openssl, commonName: "iotflow test CA", certificate: caFile, key: caKeyFile)
        try Self.makeAuthority(
            openssl: openssl,
            commonName: "iotflow unrelated CA",
            certificate: otherCAFile,
            key: directory.appendingPathComponent("other-ca.key")
        )
        self.server = try Self.issue(
            openssl: openssl,
            in: directory,
            caFile: caFile,
            caKeyFile: caKeyFile,
            request: IssueRequest(
                fileStem: "server",
                commonName: "localhost",
                extensions: ["subjectAltName=IP:127.0.0.1,DNS:localhost", "extendedKeyUsage=serverAuth"]
            )
        )
    }

    deinit {
        ScratchDirectory.remove(directory)
    }

    /// Issues a client certificate with the given common name, signed by the test CA.
    public func makeClient(commonName: String) throws -> CertificatePair {
        try issue(
            IssueRequest(
                fileStem: "client-\(commonName)",
                commonName: commonName,
                extensions: ["extendedKeyUsage=clientAuth"]
            )
        )
    }

    /// Issues a server certificate with the given names, signed by the test CA.
    ///
    /// - Parameter alternativeNames: subjectAltName entries such as `"DNS:elsewhere.example"` or
    ///   `"IP:127.0.0.2"`.
    public func makeServer(commonName: String, alternativeNames: [String]) throws -> CertificatePair {
        try issue(
            IssueRequest(
                fileStem: "server-\(commonName)",
                commonName: commonName,
                extensions: [
                    "subjectAltName=" + alternativeNames.joined(separator: ","), "extendedKeyUsage=serverAuth",
                ]
            )
        )
    }

    /// Issues a server certificate for 127.0.0.1 and localhost, signed by the test CA, that expired
    /// a day ago.
    public func makeExpiredServer() throws -> CertificatePair {
        try issue(
            IssueRequest(
                fileStem: "server-expired",
                commonName: "localhost",
                extensions: ["subjectAltName=IP:127.0.0.1,DNS:localhost", "extendedKeyUsage=serverAuth"],
                days: -1
            )
        )
    }

    // MARK: - openssl

    private struct IssueRequest {
        let fileStem: String
        let commonName: String
        let extensions: [String]
        /// Validity from now; a negative value puts notAfter in the past (openssl accepts it).
        var days = 2
    }

    private static func makeAuthority(openssl: String, commonName: String, certificate: URL, key: URL) throws {
        try run(
            openssl,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-noenc",
                "-keyout", key.path, "-out", certificate.path, "-days", "2", "-subj", "/CN=\(commonName)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ]
        )
    }

    private func issue(_ request: IssueRequest) throws -> CertificatePair {
        try Self.issue(openssl: openssl, in: directory, caFile: caFile, caKeyFile: caKeyFile, request: request)
    }

    private static func issue(
        openssl: String,
        in directory: URL,
        caFile: URL,
        caKeyFile: URL,
        request: IssueRequest
    ) throws -> CertificatePair {
        let stem = directory.appendingPathComponent(request.fileStem).path
        let extensionsFile = URL(fileURLWithPath: stem + ".ext")
        let extensions = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment"]
        try (extensions + request.extensions).joined(separator: "\n").appending("\n")
            .write(to: extensionsFile, atomically: true, encoding: .utf8)
        try run(
            openssl,
            [
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-noenc",
                "-keyout", stem + ".key", "-out", stem + ".csr", "-subj", "/CN=\(request.commonName)",
            ]
        )
        try run(
            openssl,
            [
                "x509", "-req", "-in", stem + ".csr", "-CA", caFile.path, "-CAkey", caKeyFile.path,
                "-CAcreateserial", "-days", String(request.days), "-extfile", extensionsFile.path,
                "-out", stem + ".pem",
            ]
        )
        return CertificatePair(
            commonName: request.commonName,
            certificateFile: URL(fileURLWithPath: stem + ".pem"),
            keyFile: URL(fileURLWithPath: stem + ".key")
        )
    }

    /// Runs openssl to completion; its stdout is discarded and its stderr goes into the error on failure.
    private static func run(_ openssl: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        // Read before waiting: a child blocked on a full pipe would never exit. openssl writes a few lines.
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: stderr, as: UTF8.self)
            throw HarnessError("openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(text)")
        }
    }
}
