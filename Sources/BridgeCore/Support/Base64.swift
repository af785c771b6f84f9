// iotflow-bridge: standard base64 (RFC 4648 §4), for Basic credentials and binary payloads.
// SPDX-License-Identifier: Apache-2.0

/// Standard base64 with padding. The core has no Foundation, and these two uses are small.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// `bytes` as base64 text.
    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var value = UInt32(0)
            for (offset, byte) in chunk.enumerated() { value |= UInt32(byte) << (16 - 8 * offset) }
            for position in 0..<4 {
                output.append(
                    position <= chunk.count ? alphabet[Int((value >> (18 - 6 * position)) & 0x3F)] : UInt8(ascii: "=")
                )
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes base64 `text` encodes, or nil when it is not padded standard base64.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        for start in stride(from: 0, to: characters.count, by: 4) {
            var value = UInt32(0)
            var padding = 0
            for character in characters[start..<start + 4] {
                value <<= 6
                if character == UInt8(ascii: "=") {
                    padding += 1
                } else if let digit = alphabet.firstIndex(of: character), padding == 0 {
                    value |= UInt32(digit)
                } else {
                    return nil
                }
            }
            guard padding <= 2, padding == 0 || start + 4 == characters.count else { return nil }
            for shift in [16, 8, 0].prefix(3 - padding) { output.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
        }
        return output
    }
}
