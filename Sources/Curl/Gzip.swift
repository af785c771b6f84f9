// iotflow-bridge: gzip request bodies with zlib (libcurl never compresses requests).
// SPDX-License-Identifier: Apache-2.0

import CZlib

/// gzip compression for request bodies.
public enum Gzip {
    /// Compresses `input` into a gzip stream (RFC 1952), appending to `output`.
    ///
    /// Level 1 (fastest): line protocol is so repetitive that it still shrinks about 10×,
    /// and the writer thread's CPU is better spent keeping up with intake.
    ///
    /// zlib fails here only when memory runs out (the output has `deflateBound` room and
    /// `Z_FINISH` completes in one call), so a failure traps like any allocation failure.
    public static func compress(_ input: [UInt8], into output: inout [UInt8], level: Int32 = 1) {
        var stream = z_stream()
        // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of zlib's own.
        precondition(CZlib_deflateInit2(&stream, level, 15 + 16, 8) == Z_OK, "deflateInit2 failed")
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count)))
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: bound))
        let status = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                // zlib's API takes a mutable input pointer but never writes through it.
                stream.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = destination.bindMemory(to: Bytef.self).baseAddress.map { $0 + start }
                stream.avail_out = uInt(bound)
                return deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END, "deflate did not finish in one call")
        output.removeSubrange((start + Int(stream.total_out))...)
    }
}
