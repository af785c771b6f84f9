// iotflow-bridge: gunzip for request bodies the fake InfluxDB server receives.
// SPDX-License-Identifier: Apache-2.0

import CZlib

/// Decompresses gzip data with zlib, as InfluxDB does for `Content-Encoding: gzip` request bodies.
enum Gzip {
    /// Inflates `input`, which may hold several concatenated gzip members (InfluxDB 3 accepts those too).
    ///
    /// - Throws: `HarnessError` for a corrupt or truncated stream.
    static func decompress(_ input: [UInt8]) throws -> [UInt8] {
        guard !input.isEmpty else { return [] }
        var stream = z_stream()
        // windowBits 15 + 16: expect a gzip header and trailer instead of a zlib one.
        guard CZlib_inflateInit2(&stream, 31) == Z_OK else {
            throw HarnessError("inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        try input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: buffer[0..<(buffer.count - Int(stream.avail_out))])
                    return status
                }
                switch status {
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return }
                    // Another gzip member follows; start it with a fresh header.
                    inflateReset(&stream)
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in > 0:
                    continue
                case Z_BUF_ERROR:
                    throw HarnessError("gzip body is truncated")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw HarnessError("gzip body is corrupt: \(reason)")
                }
            }
        }
        return output
    }
}
