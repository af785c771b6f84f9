// iotflow-bridge: a unix datagram socket standing in for systemd's $NOTIFY_SOCKET.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Glibc
import Synchronization

/// Binds a unix datagram socket in a fresh temporary directory and records every datagram sent
/// to it, with the instant it arrived, on a thread of its own. Safe from any thread.
final class FakeNotifySocket: Sendable {
    /// One notification: the instant it arrived and its `KEY=value` fields.
    struct Message: Sendable {
        var receivedAt: ContinuousClock.Instant
        var fields: [String]

        /// Whether a field is exactly `field`.
        func has(_ field: String) -> Bool {
            fields.contains(field)
        }

        /// Whether a field starts with `prefix`.
        func has(prefix: String) -> Bool {
            fields.contains { $0.hasPrefix(prefix) }
        }
    }

    /// The socket's path: the value for `NOTIFY_SOCKET`.
    let path: String
    private let directory: String
    private let descriptor: CInt
    private let received = Mutex<[Message]>([])
    private let stopped = Atomic<Bool>(false)
    private let ended = Atomic<Bool>(false)

    init() throws {
        directory = temporaryPath("iotflow-notify")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        path = directory + "/notify"
        descriptor = socket(AF_UNIX, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.utf8.prefix(bytes.count - 1).enumerated() { bytes[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            close(descriptor)
            throw HarnessError("bind \(path): \(String(cString: strerror(errno)))")
        }
        let thread = Thread { [self] in receiveLoop() }
        thread.name = "fake-notify"
        thread.start()
    }

    /// Ends the receiving thread (which holds this object until then) and removes the socket.
    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        // The loop polls every 100 ms; wait (bounded) for it to end before the descriptor closes.
        for _ in 0..<50 where !ended.load(ordering: .relaxed) { usleep(20_000) }
        close(descriptor)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Every message so far, oldest first.
    var messages: [Message] { received.withLock { $0 } }

    private func receiveLoop() {
        defer { ended.store(true, ordering: .relaxed) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .relaxed) {
            var descriptors = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptors, 1, 100) > 0 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            let message = Message(receivedAt: .now, fields: text.split(separator: "\n").map(String.init))
            received.withLock { $0.append(message) }
        }
    }
}
