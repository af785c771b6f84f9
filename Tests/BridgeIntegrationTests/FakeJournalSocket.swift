// iotflow-bridge: a unix datagram socket standing in for journald's native socket.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Glibc
import Synchronization

/// Binds `socket` in a fresh temporary directory (to be bind-mounted over `/run/systemd/journal`)
/// and parses every datagram sent to it as one native journal entry, on a thread of its own.
///
/// The native protocol (systemd's `journal-native` documentation): each field is `NAME=value\n`,
/// or, for a value holding a newline, `NAME\n`, the value's length as a little-endian 64-bit
/// integer, the value's bytes and `\n`. An entry too large for a datagram comes as an empty
/// datagram carrying a memfd (SCM_RIGHTS); that is read too. Safe from any thread.
final class FakeJournalSocket: Sendable {
    /// One entry: its fields in order (a name may repeat).
    struct Entry: Sendable, CustomStringConvertible {
        var fields: [(name: String, value: String)]

        /// The first value of `name`.
        subscript(_ name: String) -> String? {
            fields.first { $0.name == name }?.value
        }

        var description: String { fields.map { "\($0.name)=\($0.value)" }.joined(separator: " | ") }
    }

    /// The directory holding `socket`.
    let directory: String
    private let descriptor: CInt
    private let received = Mutex<[Entry]>([])
    private let malformed = Mutex<[String]>([])
    private let stopped = Atomic<Bool>(false)
    private let ended = Atomic<Bool>(false)

    init() throws {
        directory = temporaryPath("iotflow-journal")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let path = directory + "/socket"
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
        thread.name = "fake-journal"
        thread.start()
    }

    /// Ends the receiving thread (which holds this object until then) and removes the socket.
    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        for _ in 0..<50 where !ended.load(ordering: .relaxed) { usleep(20_000) }
        close(descriptor)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Every entry so far, oldest first.
    var entries: [Entry] { received.withLock { $0 } }

    /// Datagrams that did not parse, described.
    var malformedDatagrams: [String] { malformed.withLock { $0 } }

    private func receiveLoop() {
        defer { ended.store(true, ordering: .relaxed) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while !stopped.load(ordering: .relaxed) {
            var descriptors = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptors, 1, 100) > 0 else { continue }
            guard let datagram = receive(into: &buffer) else { continue }
            if let entry = Self.parse(datagram) {
                received.withLock { $0.append(entry) }
            } else {
                malformed.withLock { $0.append(String(decoding: datagram.prefix(512), as: UTF8.self)) }
            }
        }
    }

    /// One datagram's bytes, or the contents of the memfd it carries.
    private func receive(into buffer: inout [UInt8]) -> [UInt8]? {
        // Room for one cmsghdr (16 bytes on 64-bit Linux) and one descriptor, aligned; zeroed, so
        // a datagram without one leaves cmsg_len 0.
        var control = [UInt64](repeating: 0, count: 4)
        let count = buffer.withUnsafeMutableBytes { bytes in
            control.withUnsafeMutableBytes { controlBytes in
                var item = iovec(iov_base: bytes.baseAddress, iov_len: bytes.count)
                return withUnsafeMutablePointer(to: &item) { item in
                    var header = msghdr()
                    header.msg_iov = item
                    header.msg_iovlen = 1
                    header.msg_control = controlBytes.baseAddress
                    header.msg_controllen = controlBytes.count
                    return recvmsg(descriptor, &header, CInt(MSG_CMSG_CLOEXEC))
                }
            }
        }
        guard count >= 0 else { return nil }
        // cmsg_len (8 bytes), cmsg_level and cmsg_type (4 each), then the descriptor.
        let level = CInt(truncatingIfNeeded: control[1])
        let type = CInt(truncatingIfNeeded: control[1] >> 32)
        if count == 0 && control[0] >= 20 && level == SOL_SOCKET && type == CInt(SCM_RIGHTS) {
            let memfd = CInt(truncatingIfNeeded: control[2])
            defer { close(memfd) }
            return Self.readAll(memfd)
        }
        return Array(buffer[..<count])
    }

    private static func readAll(_ descriptor: CInt) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let count = pread(descriptor, &chunk, chunk.count, offset)
            guard count > 0 else { return bytes }
            bytes += chunk[..<count]
            offset += off_t(count)
        }
    }

    /// The entry in `bytes`, or nil when they break the protocol.
    static func parse(_ bytes: [UInt8]) -> Entry? {
        var fields: [(name: String, value: String)] = []
        var position = 0
        while position < bytes.count {
            guard let end = bytes[position...].firstIndex(where: { $0 == 0x0A || $0 == 0x3D }) else { return nil }
            let name = String(decoding: bytes[position..<end], as: UTF8.self)
            if bytes[end] == 0x3D {
                guard let newline = bytes[end...].firstIndex(of: 0x0A) else { return nil }
                fields.append((name, String(decoding: bytes[(end + 1)..<newline], as: UTF8.self)))
                position = newline + 1
            } else {
                guard end + 9 <= bytes.count else { return nil }
                let length = bytes[(end + 1)..<(end + 9)].reversed().reduce(0) { $0 << 8 | Int($1) }
                let start = end + 9
                guard length >= 0, start + length < bytes.count, bytes[start + length] == 0x0A else { return nil }
                fields.append((name, String(decoding: bytes[start..<(start + length)], as: UTF8.self)))
                position = start + length + 1
            }
        }
        return fields.isEmpty ? nil : Entry(fields: fields)
    }
}
