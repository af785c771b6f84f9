// iotflow-bridge: the test certificates verify as documented, so a TLS test failure means the code under test.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Testing

@Suite(.timeLimit(.minutes(1))) struct TestCertificatesTests {
    @Test func eachCertificateVerifiesAgainstTheTestCAAndNotTheUnrelatedOne() throws {
        let certificates = try TestCertificates()
        let client = try certificates.makeClient(commonName: "sensor-7")
        for pair in [certificates.server, client] {
            #expect(try verify(pair.certificateFile, against: certificates.caFile) == "OK")
            #expect(try verify(pair.certificateFile, against: certificates.otherCAFile).contains("unable to get"))
        }
        let subject = try openssl(["x509", "-in", client.certificateFile.path, "-noout", "-subject"])
        #expect(subject.contains("CN = sensor-7"))
    }

    @Test func theExpiredServerCertificateFailsVerificationAsExpired() throws {
        let certificates = try TestCertificates()
        let expired = try certificates.makeExpiredServer()
        #expect(try verify(expired.certificateFile, against: certificates.caFile).contains("certificate has expired"))
    }

    /// openssl verify's verdict: "OK" or its error text.
    private func verify(_ certificate: URL, against ca: URL) throws -> String {
        let output = try openssl(["verify", "-CAfile", ca.path, certificate.path])
        return output.hasSuffix(": OK") ? "OK" : output
    }

    private func openssl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
