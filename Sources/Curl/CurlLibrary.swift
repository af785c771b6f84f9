// iotflow-bridge: one-time libcurl initialisation.
// SPDX-License-Identifier: Apache-2.0

import CCurl

/// The process-wide libcurl state. Call `initialize()` once from `main` before any thread
/// starts, and `cleanup()` after every handle is gone (`curl_global_init(3)`).
public enum CurlLibrary {
    /// Initialises libcurl (SSL included).
    public static func initialize() {
        // Fails only when memory or the TLS library cannot be initialised: nothing can run then.
        precondition(curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK, "curl_global_init failed")
    }

    /// Releases libcurl's global state.
    public static func cleanup() {
        curl_global_cleanup()
    }

    /// The linked libcurl and its TLS and compression libraries, for example
    /// `libcurl/7.88.1 OpenSSL/3.0.17 zlib/1.2.13`.
    public static var version: String {
        String(cString: curl_version())
    }
}
