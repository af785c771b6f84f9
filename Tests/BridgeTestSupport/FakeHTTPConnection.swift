// iotflow-bridge: serves one keep-alive HTTP/1.1 connection for the fake InfluxDB server.
// SPDX-License-Identifier: Apache-2.0

import Foundation
import Glibc

/// Reads requests from one accepted socket, records them and writes the scripted responses; schema
/// queries (`/query`, `/api/v3/query_sql`) get an empty schema and are not recorded.
///
/// Confined to its connection thread. Understands what libcurl sends: keep-alive, `Content-Length` and
/// `Transfer-Encoding: chunked` bodies, and `Expect: 100-continue`, which it always grants.
struct FakeHTTPConnection {
    private static let maxHeadBytes = 64 * 1024
    private static let maxBodyBytes = 256 * 1024 * 1024

    let fd: Int32
    let connectionID: Int
    let state: FakeServerState
    private var buffer: [UInt8] = []

    init(fd: Int32, connectionID: Int, state: FakeServerState) {
        self.fd = fd
        self.connectionID = connectionID
        self.state = state
    }

    /// Serves requests until the peer closes, a response closes the connection, or the server stops.
    mutating func serve() {
        while !state.isStopping {
            guard let keepAlive = serveOneRequest(), keepAlive else { return }
        }
    }

    /// Returns whether to keep the connection open, or `nil` when it ended or broke.
    private mutating func serveOneRequest() -> Bool? {
        guard let headEnd = readUntil([13, 10, 13, 10], limit: Self.maxHeadBytes) else {
            if buffer.count >= Self.maxHeadBytes {
                send(status: 431, closing: true)
            }
            return nil
        }
        let headText = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        guard let head = RequestHead(parsing: headText) else {
            send(status: 400, closing: true)
            return nil
        }
        if head.headers["expect"]?.lowercased() == "100-continue" {
            guard write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return nil }
        }
        let body: [UInt8]
        switch readBody(head) {
        case .success(let bytes):
            body = bytes
        case .failure(let status):
            if let status { send(status: status, closing: true) }
            return nil
        }
        let request = makeRecordedRequest(head: head, body: body)
        // The bridge reads the schema at start-up; a fake InfluxDB holds no field types, and the
        // scripts and request counts of the tests are about writes.
        let response: FakeResponse
        if let empty = FakeResponse.emptySchema(forPath: request.path) {
            response = empty
        } else {
            state.record(request)
            response = state.responder(request)
        }
        if let delay = response.delay {
            sleepUnlessStopping(delay)
        }
        let keepAlive = !response.closeConnection && head.wantsKeepAlive && !state.isStopping
        guard write(Self.serialize(response, forHead: head.method == "HEAD", keepAlive: keepAlive)) else {
            return nil
        }
        return keepAlive
    }

    // MARK: - Reading

    /// A body, or the status to fail with (`nil` when the connection just ended).
    private enum BodyResult {
        case success([UInt8])
        case failure(Int?)
    }

    private mutating func readBody(_ head: RequestHead) -> BodyResult {
        if head.headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            return readChunkedBody()
        }
        guard let lengthText = head.headers["content-length"] else { return .success([]) }
        guard let length = Int(lengthText.trimmingCharacters(in: .whitespaces)), length >= 0 else {
            return .failure(400)
        }
        guard length <= Self.maxBodyBytes else { return .failure(413) }
        guard fill(to: length) else { return .failure(nil) }
        let body = Array(buffer[..<length])
        buffer.removeFirst(length)
        return .success(body)
    }

    /// Decodes `size [;extensions] CRLF data CRLF ... 0 CRLF [trailers] CRLF`.
    private mutating func readChunkedBody() -> BodyResult {
        var body: [UInt8] = []
        while true {
            guard let lineEnd = readUntil([13, 10], limit: 4096) else { return .failure(nil) }
            let line = String(decoding: buffer[..<lineEnd], as: UTF8.self)
            buffer.removeFirst(lineEnd + 2)
            let sizeText = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                return .failure(400)
            }
            if size == 0 {
                // Skip trailer fields up to the empty line that ends the message.
                while true {
                    guard let end = readUntil([13, 10], limit: Self.maxHeadBytes) else { return .failure(nil) }
                    buffer.removeFirst(end + 2)
                    if end == 0 { return .success(body) }
                }
            }
            guard body.count + size <= Self.maxBodyBytes else { return .failure(413) }
            guard fill(to: size + 2) else { return .failure(nil) }
            body += buffer[..<size]
            buffer.removeFirst(size + 2)
        }
    }

    /// Reads until `delimiter` is in the buffer and returns its offset; `nil` on EOF, error or `limit`.
    private mutating func readUntil(_ delimiter: [UInt8], limit: Int) -> Int? {
        var searchFrom = 0
        while true {
            if let index = Self.find(delimiter, in: buffer, from: searchFrom) { return index }
            // The delimiter may straddle the old end of the buffer, so back up by its length less one.
            searchFrom = max(0, buffer.count - delimiter.count + 1)
            guard buffer.count < limit, receive() else { return nil }
        }
    }

    /// Reads until the buffer holds at least `count` bytes; `false` on EOF or error.
    private mutating func fill(to count: Int) -> Bool {
        while buffer.count < count {
            guard receive() else { return false }
        }
        return true
    }

    /// One `recv` into the buffer; `false` on EOF, error, or a shutdown from `stop()`.
    private mutating func receive() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received > 0 {
                buffer += chunk[..<received]
                return true
            }
            if received < 0 && errno == EINTR { continue }
            return false
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }

    // MARK: - Writing

    private func send(status: Int, closing: Bool) {
        _ = write(Self.serialize(FakeResponse(status: status), forHead: false, keepAlive: !closing))
    }

    /// Writes all of `bytes`; MSG_NOSIGNAL because SIGPIPE from a vanished client would kill the test run.
    private func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    static func serialize(_ response: FakeResponse, forHead isHead: Bool, keepAlive: Bool) -> [UInt8] {
        let bodyless = response.status < 200 || response.status == 204 || response.status == 304
        let body = bodyless ? [] : Array(response.body.utf8)
        var text = "HTTP/1.1 \(response.status) \(reasonPhrase(response.status))\r\n"
        let names = Set(response.headers.keys.map { $0.lowercased() })
        for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) {
            text += "\(name): \(value)\r\n"
        }
        if !bodyless && !names.contains("content-length") {
            text += "Content-Length: \(body.count)\r\n"
        }
        if !body.isEmpty && !names.contains("content-type") {
            text += "Content-Type: text/plain; charset=utf-8\r\n"
        }
        if !keepAlive {
            text += "Connection: close\r\n"
        }
        text += "\r\n"
        return Array(text.utf8) + (isHead ? [] : body)
    }

    private static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 413: "Request Entity Too Large"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }

    // MARK: - Helpers

    private func makeRecordedRequest(head: RequestHead, body: [UInt8]) -> RecordedRequest {
        let encoding = head.headers["content-encoding"]?.lowercased().trimmingCharacters(in: .whitespaces)
        let decoded: [UInt8]
        if encoding == "gzip" || encoding == "x-gzip" {
            decoded = (try? Gzip.decompress(body)) ?? []
        } else {
            decoded = body
        }
        return RecordedRequest(
            method: head.method,
            path: head.path,
            query: head.query,
            headers: head.headers,
            body: body,
            decodedBody: String(decoding: decoded, as: UTF8.self),
            receivedAt: .now,
            connectionID: connectionID
        )
    }

    /// Sleeps in 10 ms steps so that `stop()` does not wait out a long scripted delay.
    private func sleepUnlessStopping(_ delay: Duration) {
        let deadline = ContinuousClock.now + delay
        while !state.isStopping {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return }
            let step = min(left, .milliseconds(10))
            let (seconds, attoseconds) = step.components
            usleep(useconds_t(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
        }
    }
}
