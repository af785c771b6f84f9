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
