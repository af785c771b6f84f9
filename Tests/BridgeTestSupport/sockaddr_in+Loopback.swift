// iotflow-bridge: builds IPv4 loopback socket addresses for the harness's sockets.
// SPDX-License-Identifier: Apache-2.0

import Glibc

extension sockaddr_in {
    /// An IPv4 address of 127.0.0.1 and the given port.
    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
