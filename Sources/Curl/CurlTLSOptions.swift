// iotflow-bridge: how an easy handle verifies https servers and proves itself to them.
// SPDX-License-Identifier: Apache-2.0

import CCurl

/// The TLS options of a `CurlEasyHandle`, applied once when it is made; `http://` URLs ignore them.
///
/// The defaults are libcurl's: the system CAs (Debian's libcurl: `/etc/ssl/certs`), no client
/// certificate, TLS 1.2 or later, the server's certificate and host name verified.
public struct CurlTLSOptions: Equatable, Sendable {
    /// The lowest TLS version the handle accepts (`CURLOPT_SSLVERSION`).
    public enum MinimumVersion: Equatable, Sendable {
        case tls1_2
        case tls1_3
    }

    /// A PEM bundle of the CAs to trust instead of the system's (`CURLOPT_CAINFO`).
    public var caFile: String?
    /// A directory of hashed CA certificates to trust instead of the system's (`CURLOPT_CAPATH`).
    public var caPath: String?
    /// The client certificate, PEM (`CURLOPT_SSLCERT`); a file holding the key too needs no `keyFile`.
    public var certFile: String?
    /// The client certificate's private key, PEM (`CURLOPT_SSLKEY`).
    public var keyFile: String?
    /// The lowest TLS version accepted.
    public var minimumVersion: MinimumVersion
    /// Whether the server's certificate chain and host name are checked (`CURLOPT_SSL_VERIFYPEER`,
    /// `CURLOPT_SSL_VERIFYHOST`). Off only for a test bench.
    public var verifiesServer: Bool

    /// Options; the defaults are libcurl's.
    public init(
        caFile: String? = nil,
        caPath: String? = nil,
        certFile: String? = nil,
        keyFile: String? = nil,
        minimumVersion: MinimumVersion = .tls1_2,
        verifiesServer: Bool = true
    ) {
        self.caFile = caFile
        self.caPath = caPath
        self.certFile = certFile
        self.keyFile = keyFile
        self.minimumVersion = minimumVersion
        self.verifiesServer = verifiesServer
    }

    /// Sets the options on `handle`.
    func apply(to handle: UnsafeMutableRawPointer) throws(CurlError) {
        // A configured CA file or directory replaces the system's: setting one leaves libcurl's
        // built-in default for the other in place, so the other is set too (nil clears it).
        if caFile != nil || caPath != nil {
            try check(CCurl_easy_setopt_string(handle, CURLOPT_CAINFO, caFile), "CURLOPT_CAINFO")
            try check(CCurl_easy_setopt_string(handle, CURLOPT_CAPATH, caPath), "CURLOPT_CAPATH")
        }
        if let certFile {
            try check(CCurl_easy_setopt_string(handle, CURLOPT_SSLCERT, certFile), "CURLOPT_SSLCERT")
        }
        if let keyFile {
            try check(CCurl_easy_setopt_string(handle, CURLOPT_SSLKEY, keyFile), "CURLOPT_SSLKEY")
        }
        let version =
            switch minimumVersion {
            case .tls1_2: CURL_SSLVERSION_TLSv1_2
            case .tls1_3: CURL_SSLVERSION_TLSv1_3
            }
        try check(CCurl_easy_setopt_long(handle, CURLOPT_SSLVERSION, Int(version)), "CURLOPT_SSLVERSION")
        // VERIFYHOST takes 2 (check the name), not 1 (refused since 7.66 as a common mistake).
        try check(
            CCurl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, verifiesServer ? 1 : 0),
            "CURLOPT_SSL_VERIFYPEER"
        )
        try check(
            CCurl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, verifiesServer ? 2 : 0),
            "CURLOPT_SSL_VERIFYHOST"
        )
    }
}
