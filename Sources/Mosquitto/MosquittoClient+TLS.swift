// iotflow-bridge: TLS for a client: trust, client certificate, minimum version, verification.
// SPDX-License-Identifier: Apache-2.0

import CMosquitto
import Glibc

extension MosquittoClient {
    /// The lowest TLS version a client accepts.
    public enum TLSVersion: String, Sendable {
        case v1_2 = "tlsv1.2"
        case v1_3 = "tlsv1.3"
    }

    /// Turns TLS on for the next `connect`. Call before connecting.
    ///
    /// libmosquitto does the handshake inside `connect` and the first loop calls; a handshake
    /// that fails (an unknown CA, an expired certificate, a name that does not match `host`, a
    /// broker that wants a client certificate) makes one of them throw `MOSQ_ERR_TLS`, and
    /// OpenSSL's reason goes to `onLog` at `MOSQ_LOG_ERR`, not into the return code. A client
    /// certificate or key that OpenSSL cannot load fails `connect` the same way.
    ///
    /// - Parameters:
    ///   - caFile: a PEM bundle of the CAs to trust.
    ///   - caPath: a directory of hashed CA certificates to trust. With neither, the system's
    ///     CAs (`MOSQ_OPT_TLS_USE_OS_CERTS`).
    ///   - certificateFile: the client certificate, PEM; given together with `keyFile` or not at all.
    ///   - keyFile: its private key, PEM, unencrypted.
    ///   - minimumVersion: the lowest TLS version accepted.
    ///   - verifyingPeer: false accepts any certificate for any name (`SSL_VERIFY_NONE` and
    ///     `mosquitto_tls_insecure_set`); true verifies the chain and that the certificate names
    ///     the host given to `connect` (libmosquitto 2.0 can check no other name).
    /// - Throws: `MOSQ_ERR_ERRNO` with `errno` when a file cannot be opened (libmosquitto opens
    ///   each one here, and only names the failure `MOSQ_ERR_INVAL`).
    public func setTLS(
        caFile: String?,
        caPath: String?,
        certificateFile: String?,
        keyFile: String?,
        minimumVersion: TLSVersion,
        verifyingPeer: Bool
    ) throws(MosquittoError) {
        precondition((certificateFile == nil) == (keyFile == nil), "a client certificate needs its key, and back")
        var caPath = caPath
        if caFile == nil && caPath == nil {
            try check(mosquitto_int_option(handle, MOSQ_OPT_TLS_USE_OS_CERTS, 1), in: "mosquitto_int_option")
            // mosquitto_tls_set, the only way to give a client certificate, insists on a CA file
            // or directory: name the system's own (Debian's OpenSSL directory), which adds nothing.
            caPath = certificateFile == nil ? nil : Self.systemCertificateDirectory
        }
        if caFile != nil || caPath != nil {
            let code = mosquitto_tls_set(handle, caFile, caPath, certificateFile, keyFile, nil)
            // The arguments' shape is checked above, so MOSQ_ERR_INVAL can only be a failed fopen.
            if code == MOSQ_ERR_INVAL.rawValue {
                throw MosquittoError(code: MOSQ_ERR_ERRNO.rawValue, function: "mosquitto_tls_set", systemErrno: errno)
            }
            try check(code, in: "mosquitto_tls_set")
        }
        try check(
            mosquitto_tls_opts_set(handle, verifyingPeer ? Self.sslVerifyPeer : 0, minimumVersion.rawValue, nil),
            in: "mosquitto_tls_opts_set"
        )
        if !verifyingPeer {
            try check(mosquitto_tls_insecure_set(handle, true), in: "mosquitto_tls_insecure_set")
        }
    }

    /// Turns the `onLog` callback on or off; it must have been given to `init`. libmosquitto
    /// formats every line it logs, one or two per message, only while a log callback is set, so
    /// an owner that needs the log around connecting only can switch it off once connected.
    public func setLogging(_ enabled: Bool) {
        precondition(callbacks.onLog != nil, "setLogging needs an onLog callback")
        mosquitto_log_callback_set(handle, enabled ? mosquittoLogTrampoline : nil)
    }

    /// OpenSSL's `SSL_VERIFY_PEER`, which `mosquitto.h` does not export.
    private static let sslVerifyPeer: CInt = 0x01
    /// Where Debian's OpenSSL looks for hashed CA certificates (`OPENSSLDIR/certs`, a link to it).
    private static let systemCertificateDirectory = "/etc/ssl/certs"
}
