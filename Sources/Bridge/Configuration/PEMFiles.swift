// iotflow-bridge: PEM certificates and keys read with OpenSSL, for check-config's file checks.
// SPDX-License-Identifier: Apache-2.0

import COpenSSL
import Glibc

/// Reads the TLS files a configuration names the way the TLS libraries will (OpenSSL's PEM
/// readers), so `check-config` can say what is wrong with one before a connection fails on it.
/// Each check returns nil when the file is usable, else one line: what is wrong, with the system's
/// or OpenSSL's reason. No message contains the file's contents.
///
/// Safe from any thread (OpenSSL's error queue is per thread; each check empties it).
enum PEMFiles {
    /// Why the file at `path` is not a PEM bundle of at least one certificate.
    static func certificatesProblem(atPath path: String) -> String? {
        withBIO(path) { bio in
            var count = 0
            while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
                X509_free(certificate)
                count += 1
            }
            return count > 0 ? nil : "holds no PEM certificate (\(openSSLReason()))"
        }
    }

    /// Why the file at `path` is not a PEM client certificate valid now.
    static func certificateProblem(atPath path: String) -> String? {
        withCertificate(path) { certificate in
            if X509_cmp_current_time(X509_get0_notBefore(certificate)) > 0 { return "is not valid yet" }
            if X509_cmp_current_time(X509_get0_notAfter(certificate)) < 0 { return "has expired" }
            return nil
        }
    }

    /// Why the file at `path` is not an unencrypted PEM private key, or (when `certificatePath`
    /// reads as a certificate) not that certificate's key.
    static func keyProblem(atPath path: String, certificatePath: String?) -> String? {
        withBIO(path) { bio in
            // A passphrase prompt would hang check-config on the terminal: refuse to give one.
            guard let key = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil) else {
                return "holds no unencrypted PEM private key (\(openSSLReason()))"
            }
            defer { EVP_PKEY_free(key) }
            guard let certificatePath else { return nil }
            // A certificate that cannot be read is the certificate's problem, reported there.
            var mismatch: String?
            _ = withCertificate(certificatePath) { certificate in
                if X509_check_private_key(certificate, key) != 1 { mismatch = openSSLReason() }
                return nil
            }
            return mismatch.map { "does not match the certificate in \(certificatePath) (\($0))" }
        }
    }

    /// `body` with the first certificate in the file at `path`, or why there is none.
    private static func withCertificate(_ path: String, _ body: (OpaquePointer) -> String?) -> String? {
        withBIO(path) { bio in
            guard let certificate = PEM_read_bio_X509(bio, nil, nil, nil) else {
                return "holds no PEM certificate (\(openSSLReason()))"
            }
            defer { X509_free(certificate) }
            return body(certificate)
        }
    }

    /// `body` with a memory BIO over the file's bytes, or why the file cannot be read.
    private static func withBIO(_ path: String, _ body: (OpaquePointer) -> String?) -> String? {
        ERR_clear_error()
        defer { ERR_clear_error() }
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readFile(path)
        } catch {
            return "\(error)"
        }
        guard !bytes.isEmpty else { return "is empty" }
        return bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                return "cannot be read: \(openSSLReason())"
            }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    /// OpenSSL's reason for the first error in this thread's queue (`no start line`).
    private static func openSSLReason() -> String {
        let code = ERR_peek_error()
        guard code != 0, let reason = ERR_reason_error_string(code) else { return "no reason given" }
        return "OpenSSL: \(String(cString: reason))"
    }
}
