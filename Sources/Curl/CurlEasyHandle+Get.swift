// iotflow-bridge: a GET with the handle, for health pings, and a header of its reply.
// SPDX-License-Identifier: Apache-2.0

import CCurl

extension CurlEasyHandle {
    /// GETs `url` and returns the reply, whatever its status, with the value of the reply header
    /// `header` when asked for and present (InfluxDB's `X-Influxdb-Version`).
    ///
    /// - Throws: `CurlError` when no reply arrived.
    public func get(
        url: String,
        headers: [String],
        timeout: Duration,
        header: String? = nil
    ) throws(CurlError) -> (response: HTTPResponse, header: String?) {
        responseBody.removeAll(keepingCapacity: true)
        errorBuffer[0] = 0
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in headers { list = curl_slist_append(list, line) }
        defer { curl_slist_free_all(list) }
        let milliseconds = Int(
            timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        )
        try check(CCurl_easy_setopt_long(handle, CURLOPT_HTTPGET, 1), "CURLOPT_HTTPGET")
        try check(CCurl_easy_setopt_string(handle, CURLOPT_URL, url), "CURLOPT_URL")
        try check(CCurl_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, list), "CURLOPT_HTTPHEADER")
        try check(CCurl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds), "CURLOPT_TIMEOUT_MS")
        try check(CCurl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds), "CURLOPT_CONNECTTIMEOUT_MS")
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            throw CurlError(code: code, message: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
        var status = 0
        try check(CCurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "CURLINFO_RESPONSE_CODE")
        var value: String?
        if let header {
            var found: UnsafeMutablePointer<curl_header>?
            if curl_easy_header(handle, header, 0, UInt32(CURLH_HEADER), -1, &found) == CURLHE_OK, let found {
                value = String(cString: found.pointee.value)
            }
        }
        return (HTTPResponse(status: status, body: responseBody, retryAfterSeconds: nil), value)
    }
}
