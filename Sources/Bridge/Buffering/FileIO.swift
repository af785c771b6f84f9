// iotflow-bridge: the few file operations the durable buffer needs, with errno as text.
// SPDX-License-Identifier: Apache-2.0

import Glibc

/// Thin wrappers over `open`, `pwrite`, `pread`, `fdatasync`; each retries EINTR and throws
/// `BridgeError` naming the path.
enum FileIO {
    static func open(_ path: String, flags: CInt, mode: mode_t = 0o600) throws(BridgeError) -> CInt {
        let descriptor = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw .system("cannot open", path) }
        return descriptor
    }

    /// Writes all of `bytes` at `offset`.
    static func write(
        _ descriptor: CInt,
        _ bytes: UnsafeRawBufferPointer,
        at offset: Int,
        path: String
    ) throws(BridgeError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let written = pwrite(descriptor, base + done, bytes.count - done, off_t(offset + done))
            if written < 0 {
                if errno == EINTR { continue }
                throw .system("cannot write", path)
            }
            done += written
        }
    }

    /// Writes all of `bytes` at `offset`.
    static func write(_ descriptor: CInt, _ bytes: [UInt8], at offset: Int, path: String) throws(BridgeError) {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(BridgeError) in try write(descriptor, raw, at: offset, path: path) }
        }.get()
    }

    /// Reads `count` bytes at `offset` (fewer only at the end of the file).
    static func read(_ descriptor: CInt, count: Int, at offset: Int, path: String) throws(BridgeError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let read = bytes.withUnsafeMutableBytes { raw in
                raw.baseAddress.map { pread(descriptor, $0 + done, count - done, off_t(offset + done)) } ?? 0
            }
            if read < 0 {
                if errno == EINTR { continue }
                throw .system("cannot read", path)
            }
            if read == 0 { break }
            done += read
        }
        bytes.removeLast(count - done)
        return bytes
    }

    /// The whole file at `path`; `flags` are added to `O_RDONLY` (`O_NOFOLLOW`, say).
    static func readFile(_ path: String, flags: CInt = 0) throws(BridgeError) -> [UInt8] {
        let descriptor = try open(path, flags: O_RDONLY | flags)
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .system("cannot stat", path) }
        return try read(descriptor, count: Int(status.st_size), at: 0, path: path)
    }

    static func sync(_ descriptor: CInt, path: String) throws(BridgeError) {
        guard fdatasync(descriptor) == 0 else { throw .system("cannot sync", path) }
    }

    /// Makes the directory's entries (a created, renamed or removed file) durable.
    static func syncDirectory(_ path: String) throws(BridgeError) {
        let descriptor = try open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .system("cannot sync the directory", path) }
    }

    static func truncate(_ descriptor: CInt, to length: Int, path: String) throws(BridgeError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw .system("cannot truncate", path) }
    }

    /// Writes `bytes` to `path` whole or not at all: a temporary file renamed over it.
    static func replace(_ path: String, with bytes: [UInt8]) throws(BridgeError) {
        let temporary = path + ".tmp"
        let descriptor = try open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do throws(BridgeError) {
            try write(descriptor, bytes, at: 0, path: temporary)
        } catch {
            close(descriptor)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw .system("cannot rename over", path) }
    }
}
