// iotflow-bridge: typed errors for libcurl failures.
// SPDX-License-Identifier: Apache-2.0

public import CCurl

/// A failed transfer or a failed libcurl call (zlib fails only when memory runs out, and `Gzip`
/// traps then).
public struct CurlError: Error, CustomStringConvertible, Sendable {
    /// The `CURLcode`.
    public let code: CURLcode
    /// What libcurl said (its error buffer, or its text for `code`).
    public let message: String

    /// Whether the transfer timed out (connect or total).
    public var isTimeout: Bool { code == CURLE_OPERATION_TIMEDOUT }

    /// Which side of a TLS connection failed, by `CURLcode`; `message` holds OpenSSL's reason.
    public enum TLSFailure: Equatable, Sendable {
        /// The server's certificate was not trusted or not for this host, or the CAs could not
        /// be loaded (`CURLE_PEER_FAILED_VERIFICATION`, `CURLE_SSL_CACERT_BADFILE`,
        /// `CURLE_SSL_ISSUER_ERROR`).
        case serverCertificate
        /// The client certificate or key could not be loaded, or the server wanted one and got
        /// none (`CURLE_SSL_CERTPROBLEM`, `CURLE_SSL_CLIENTCERT`).
        case clientCertificate
        /// The handshake failed otherwise: no common version or cipher, an alert from the server
        /// (`CURLE_SSL_CONNECT_ERROR`, `CURLE_SSL_CIPHER`).
        case handshake
    }

    /// What failed, when the transfer failed in TLS; nil for any other failure.
    public var tlsFailure: TLSFailure? {
        switch code {
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR:
            .serverCertificate
        case CURLE_SSL_CERTPROBLEM, CURLE_SSL_CLIENTCERT:
            .clientCertificate
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CIPHER:
            .handshake
        default:
            nil
        }
    }

    public var description: String {
        message.isEmpty ? String(cString: curl_easy_strerror(code)) : message
    }
}

/// Turns a `CURLcode` from a setup call into a thrown error. Codes that can only mean the
/// bridge misused libcurl (a bad argument or an option this libcurl lacks) trap.
@inline(__always)
func check(_ code: CURLcode, _ what: StaticString) throws(CurlError) {
    guard code != CURLE_OK else { return }
    precondition(
        code != CURLE_BAD_FUNCTION_ARGUMENT && code != CURLE_UNKNOWN_OPTION,
        "libcurl refused \(what): \(String(cString: curl_easy_strerror(code)))"
    )
    throw CurlError(code: code, message: "\(what): \(String(cString: curl_easy_strerror(code)))")
}
