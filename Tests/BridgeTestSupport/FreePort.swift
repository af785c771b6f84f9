// iotflow-bridge: picks unused loopback TCP ports for test servers.
// SPDX-License-Identifier: Apache-2.0

import Glibc
import Synchronization

/// Finds TCP ports on 127.0.0.1 that nothing is listening on.
///
/// Safe from any thread.
public enum FreePort {
    /// Ports already handed out by this process. The kernel may return a port again as soon as the probe
    /// socket is closed, and a server that has not bound yet does not hold it, so without this two servers
    /// started back to back (influxd's HTTP and RPC ports) could be given the same number.
    private static let handedOut = Mutex<Set<UInt16>>([])

    /// Returns a port that was free a moment ago and that this process has not returned before.
    ///
    /// The port is found by binding port 0 on 127.0.0.1, reading the chosen port back and closing the
    /// socket, so another process can still take it before the caller binds; on a test machine that window
    /// is small enough. Gives up with a precondition failure after 100 attempts, which means the machine
    /// is out of ephemeral ports and no test could run anyway.
    public static func next() -> UInt16 {
        for _ in 0..<100 {
            guard let port = probe() else { continue }
            let isNew = handedOut.withLock { $0.insert(port).inserted }
            if isNew { return port }
        }
        preconditionFailure("no free loopback port after 100 attempts")
    }

    private static func probe() -> UInt16? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        return UInt16(bigEndian: address.sin_port)
    }
}
