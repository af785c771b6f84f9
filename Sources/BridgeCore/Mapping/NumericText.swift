// iotflow-bridge: numbers that devices send as text (`"23.5"`, `" 52.0 "`, `"NaN"`).
// SPDX-License-Identifier: Apache-2.0

/// Reads a JSON string as a number when it is one.
enum NumericText {
    /// What a string holds.
    enum Parsed {
        /// A number (JSON number grammar, surrounding whitespace allowed); may be infinite (`"1e999"`).
        case number(JSONNumber)
        /// `NaN`, `inf`, `-Infinity` and the like, in any case: numbers line protocol cannot carry.
        case nonFinite
        /// Anything else.
        case text
    }

    /// Parses `text`, allocating nothing for ordinary strings.
    static func parse(_ text: String) -> Parsed {
        var text = text
        return text.withUTF8 { bytes in
            var start = 0
            var end = bytes.count
            while start < end && isSpace(bytes[start]) { start += 1 }
            while end > start && isSpace(bytes[end - 1]) { end -= 1 }
            guard start < end, end - start <= 64 else { return .text }
            let trimmed = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<end])
            let first = trimmed[0]
            if first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) {
                guard case .number(let number)? = try? JSONParser(maxDepth: 0).parse(trimmed) else {
                    return isNonFinite(trimmed) ? .nonFinite : .text
                }
                return .number(number)
            }
            return isNonFinite(trimmed) ? .nonFinite : .text
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }

    /// `nan`, `inf`, `infinity`, with an optional sign, in any case.
    private static func isNonFinite(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var word = bytes[...]
        if let sign = word.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { word = word.dropFirst() }
        guard word.count <= 8 else { return false }
        let lower = word.lazy.map { $0 | 0x20 }
        return lower.elementsEqual("nan".utf8) || lower.elementsEqual("inf".utf8)
            || lower.elementsEqual("infinity".utf8)
    }
}
