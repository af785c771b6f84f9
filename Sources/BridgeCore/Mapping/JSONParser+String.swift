// iotflow-bridge: JSON string literals: validated in place, unescaped only when they hold escapes.
// SPDX-License-Identifier: Apache-2.0

extension JSONCursor {
    /// A string literal. The common case (no escapes, ASCII or valid UTF-8) is validated and
    /// copied once; escapes take a slower path.
    mutating func string() throws(JSONParsingError) -> String {
        index += 1  // opening quote
        let start = index
        var hasEscapes = false
        while true {
            guard index < bytes.count else { throw .malformed(offset: index) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw .malformed(offset: index) }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                index += 2
                continue
            }
            index += 1
        }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        index += 1  // closing quote
        if !hasEscapes {
            guard let string = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
            return string
        }
        return try unescape(raw, offset: start)
    }

    func unescape(_ raw: UnsafeRawBufferPointer, offset: Int) throws(JSONParsingError) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(raw.count)
        var position = 0
        while position < raw.count {
            let byte = raw[position]
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                position += 1
                continue
            }
            guard position + 1 < raw.count else { throw .malformed(offset: offset + position) }
            let escaped = raw[position + 1]
            position += 2
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escaped)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(raw, at: position, offset: offset)
                position += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard position + 6 <= raw.count, raw[position] == UInt8(ascii: "\\"),
                        raw[position + 1] == UInt8(ascii: "u")
                    else { throw .invalidUTF8(offset: offset + position) }
                    let low = try hex4(raw, at: position + 2, offset: offset)
                    guard (0xDC00..<0xE000).contains(low) else { throw .invalidUTF8(offset: offset + position) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    position += 6
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw .invalidUTF8(offset: offset + position) }
                output.append(contentsOf: String(Character(unicode)).utf8)
            default:
                throw .malformed(offset: offset + position - 1)
            }
        }
        guard let string = String(validating: output, as: UTF8.self) else { throw .invalidUTF8(offset: offset) }
        return string
    }

    func hex4(_ raw: UnsafeRawBufferPointer, at position: Int, offset: Int) throws(JSONParsingError) -> UInt32 {
        guard position + 4 <= raw.count else { throw .malformed(offset: offset + position) }
        var value: UInt32 = 0
        for byte in raw[position..<position + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .malformed(offset: offset + position)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
