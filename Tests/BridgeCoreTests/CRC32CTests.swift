// iotflow-bridge: CRC-32C, the checksum of every durable record.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct CRC32CTests {
    @Test func crc32cMatchesTheStandardCheckValues() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // Any split gives the same checksum as the whole (the 8-byte path and the byte path agree).
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = CRC32C.checksum(bytes)
        for split in [1, 7, 8, 9, 500, 999] {
            let first = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<split])) }
            let both = bytes.withUnsafeBytes {
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[split...]), continuing: first)
            }
            #expect(both == whole)
        }
    }

    /// RFC 3720 (iSCSI) appendix B.4: the input, and the CRC's bytes as sent, least significant first.
    private static let rfc3720Vectors: [([UInt8], [UInt8])] = [
        ([UInt8](repeating: 0x00, count: 32), [0xAA, 0x36, 0x91, 0x8A]),
        ([UInt8](repeating: 0xFF, count: 32), [0x43, 0xAB, 0xA8, 0x62]),
        ((0..<32).map { UInt8($0) }, [0x4E, 0x79, 0xDD, 0x46]),
        ((0..<32).reversed().map { UInt8($0) }, [0x5C, 0xDB, 0x3F, 0x11]),
        (
            [
                0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
                0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            ],
            [0x56, 0x3A, 0x96, 0xD9]
        ),
    ]

    @Test(arguments: rfc3720Vectors)
    func matchesTheRFC3720TestVectors(bytes: [UInt8], sent: [UInt8]) {
        let crc = CRC32C.checksum(bytes)
        #expect((0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) } == sent)
    }

    @Test func anUnalignedOrNonContiguousInputGivesTheSameChecksum() {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let expected = CRC32C.checksum(Array(bytes[3...]))
        // Eight-byte loads from an odd address.
        #expect(bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[3...])) } == expected)
        // A collection without contiguous storage is copied first.
        #expect(CRC32C.checksum(bytes.lazy.dropFirst(3).map { $0 }) == expected)
    }
}
