// iotflow-bridge: bounded polling for server readiness.
// SPDX-License-Identifier: Apache-2.0

import Glibc

/// Bounded waits for conditions that offer no notification, such as a server starting to listen.
enum Polling {
    /// Calls `condition` every `interval` until it returns `true` or `timeout` passes.
    ///
    /// - Returns: whether the condition became true in time.
    static func wait(
        timeout: Duration,
        interval: Duration = .milliseconds(20),
        until condition: () async -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            do {
                try await Task.sleep(for: interval)
            } catch {
                return false
            }
        }
        return await condition()
    }

    /// Whether a TCP connection to 127.0.0.1:`port` is accepted right now.
    static func canConnect(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in.loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}
