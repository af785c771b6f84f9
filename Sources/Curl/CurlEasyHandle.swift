// iotflow-bridge: one reusable libcurl easy handle for blocking POSTs.
// SPDX-License-Identifier: Apache-2.0

import CCurl

/// A libcurl easy handle used for one POST at a time.
///
/// Confined to one thread (`libcurl-thread(3)`: a handle is never shared). Reusing the handle
/// keeps the connection alive between batches. `post` blocks for the whole transfer, so it must
/// run on a dedicated thread, never on Swift's cooperative pool.
public final class CurlEasyHandle {
    /// Response bodies are kept up to this many bytes by default; the rest is read and dropped.
    public static let defaultMaxResponseBodyBytes = 64 * 1024

    /// Response bodies are kept up to this many bytes; the rest is read and dropped.
    public let maxResponseBodyBytes: Int

    // Internal, not private: `CurlEasyHandle+Get.swift` uses them.
    let handle: UnsafeMutableRawPointer
    let errorBuffer: UnsafeMutablePointer<CChar>
    var responseBody: [UInt8] = []

    /// A new handle with the bridge's fixed options: no signals (threads), no `Expect:
    /// 100-continue` round trip, response bodies captured up to `maxResponseBodyBytes` (write
    /// replies are small; a schema reply can be megabytes), and `tls` for `https://` URLs.
    public init(
        maxResponseBodyBytes: Int = defaultMaxResponseBodyBytes,
        tls: CurlTLSOptions = CurlTLSOptions()
    ) throws(CurlError) {
        self.maxResponseBodyBytes = maxResponseBodyBytes
        guard let handle = curl_easy_init() else {
            throw CurlError(code: CURLE_FAILED_INIT, message: "curl_easy_init failed")
        }
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        // libcurl's own SIGALRM-based DNS timeouts are unsafe with threads; Debian's libcurl
        // uses the threaded resolver, so timeouts still work without them.
        try check(CCurl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL")
        try check(CCurl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
        try check(
            CCurl_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteTrampoline),
            "CURLOPT_WRITEFUNCTION"
        )
        try check(
            CCurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque()),
            "CURLOPT_WRITEDATA"
        )
        try tls.apply(to: handle)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// POSTs `body` to `url` and returns the reply, whatever its status.
    ///
    /// - Parameters:
    ///   - headers: complete header lines without CRLF (`Content-Encoding: gzip`).
    ///   - timeout: the whole transfer, connect included.
    ///   - connectTimeout: the TCP (and TLS) connect phase.
    /// - Throws: `CurlError` when no reply arrived (refused, reset, timed out, DNS, TLS: see
    ///   `CurlError.tlsFailure`).
    public func post(
        url: String,
        headers: [String],
        body: [UInt8],
        timeout: Duration,
        connectTimeout: Duration
    ) throws(CurlError) -> HTTPResponse {
        responseBody.removeAll(keepingCapacity: true)
        errorBuffer[0] = 0
        // Suppress `Expect: 100-continue`, which costs a round trip on bodies over 1 MiB.
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for header in headers { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }

        try check(CCurl_easy_setopt_string(handle, CURLOPT_URL, url), "CURLOPT_URL")
        try check(CCurl_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, list), "CURLOPT_HTTPHEADER")
        try check(
            CCurl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout.wholeMilliseconds)),
            "CURLOPT_TIMEOUT_MS"
        )
        try check(
            CCurl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout.wholeMilliseconds)),
            "CURLOPT_CONNECTTIMEOUT_MS"
        )
        let code = body.withUnsafeBytes { bytes -> CURLcode in
            // POSTFIELDS is not copied: `bytes` stays valid until curl_easy_perform returns.
            var result = CCurl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
            guard result == CURLE_OK else { return result }
            result = CCurl_easy_setopt_pointer(
                handle,
                CURLOPT_POSTFIELDS,
                UnsafeMutableRawPointer(mutating: bytes.baseAddress)
            )
            guard result == CURLE_OK else { return result }
            return curl_easy_perform(handle)
        }
        // Leave no dangling pointer to `body` in the handle.
        _ = CCurl_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS, nil)
        return try response(after: code)
    }

    /// GETs `url` and returns the reply, whatever its status (`iotflow-bridge status`).
    ///
    /// - Parameter timeout: the whole transfer, connect included.
    /// - Throws: `CurlError` when no reply arrived.
    public func get(url: String, timeout: Duration) throws(CurlError) -> HTTPResponse {
        responseBody.removeAll(keepingCapacity: true)
        errorBuffer[0] = 0
        try check(CCurl_easy_setopt_string(handle, CURLOPT_URL, url), "CURLOPT_URL")
        try check(CCurl_easy_setopt_long(handle, CURLOPT_HTTPGET, 1), "CURLOPT_HTTPGET")
        try check(
            CCurl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout.wholeMilliseconds)),
            "CURLOPT_TIMEOUT_MS"
        )
        return try response(after: curl_easy_perform(handle))
    }

    /// The reply of the transfer that ended with `code`, or the error it names.
    private func response(after code: CURLcode) throws(CurlError) -> HTTPResponse {
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            throw CurlError(code: code, message: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
        var status = 0
        try check(CCurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "CURLINFO_RESPONSE_CODE")
        var retryAfter: curl_off_t = 0
        try check(CCurl_easy_getinfo_off_t(handle, CURLINFO_RETRY_AFTER, &retryAfter), "CURLINFO_RETRY_AFTER")
        return HTTPResponse(
            status: status,
            body: responseBody,
            retryAfterSeconds: retryAfter > 0 ? Int(retryAfter) : nil
        )
    }

    fileprivate func receive(_ data: UnsafeRawBufferPointer) {
        let room = maxResponseBodyBytes - responseBody.count
        if room > 0 { responseBody.append(contentsOf: data.prefix(room)) }
    }
}

@available(*, unavailable, message: "A CurlEasyHandle is confined to one thread")
extension CurlEasyHandle: Sendable {}

private func curlWriteTrampoline(
    _ data: UnsafeMutablePointer<CChar>,
    _ size: Int,
    _ count: Int,
    _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let context else { return 0 }
    let handle = Unmanaged<CurlEasyHandle>.fromOpaque(context).takeUnretainedValue()
    handle.receive(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}

extension Duration {
    fileprivate var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
