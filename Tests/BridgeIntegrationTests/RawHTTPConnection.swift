// iotflow-bridge: a raw TCP client for the admin endpoint's tests: exact bytes, one connection.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Glibc

/// One HTTP/1.1 connection to 127.0.0.1 over a plain socket, so a test controls keep-alive,
/// oversized heads and half-sent requests. Every receive waits at most 5 s, on a thread of its
/// own: a blocking `recv` on one of the Swift concurrency pool's threads (two on a 2-core machine)
/// could starve the server under test, whose connections are served on that pool.
///
/// `@unchecked Sendable`: one test uses a connection, one call at a time; a receive's thread
/// is the only one touching it until the call returns.
final class RawHTTPConnection: @unchecked Sendable {
    /// One parsed reply.
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    private let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw HarnessError("connect to port \(port): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// Sends `text` as is.
    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw HarnessError("send: \(String(cString: strerror(errno)))") }
            sent += count
        }
    }

    /// A GET (or `method`) for `target`, keeping the connection open.
    func request(_ target: String, method: String = "GET", headers: String = "") throws {
        try send("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)\r\n")
    }

    /// The next reply; `hasBody: false` for HEAD (Content-Length announced, no body sent).
    func reply(hasBody: Bool = true) async throws -> Reply {
        try await offThePool { try self.blockingReply(hasBody: hasBody) }
    }

    private func blockingReply(hasBody: Bool) throws -> Reply {
        while pending.firstRange(of: Array("\r\n\r\n".utf8)) == nil {
            guard try receive() else { throw HarnessError("closed before a reply head") }
        }
        let end = pending.firstRange(of: Array("\r\n\r\n".utf8))!
        let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
        pending.removeSubrange(..<end.upperBound)
        var lines = head.split(separator: "\r\n").map(String.init)
        let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in lines {
            let parts = line.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: " ") }
            headers[parts[0].lowercased()] = parts.count == 2 ? parts[1] : ""
        }
        let length = hasBody ? Int(headers["content-length"] ?? "0") ?? 0 : 0
        while pending.count < length {
            guard try receive() else { throw HarnessError("closed inside a reply body") }
        }
        let body = String(decoding: pending.prefix(length), as: UTF8.self)
        pending.removeFirst(length)
        return Reply(status: status, headers: headers, body: body)
    }

    /// Whether the server closes the connection (reads to the end, at most 5 s; true at EOF or reset).
    func isClosedByServer() async throws -> Bool {
        try await offThePool { try self.blockingIsClosed() }
    }

    private func blockingIsClosed() throws -> Bool {
        while true {
            do {
                guard try receive() else { return true }
            } catch {
                return errno == ECONNRESET
            }
        }
    }

    /// Runs `work` on a new thread and returns what it returned.
    private func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// Appends what arrives; false at end of stream.
    private func receive() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 { throw HarnessError("recv: \(String(cString: strerror(errno)))") }
        pending += buffer.prefix(count)
        return count > 0
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
