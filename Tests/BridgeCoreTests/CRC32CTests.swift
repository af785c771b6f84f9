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
}
