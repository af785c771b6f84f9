// iotflow-bridge: a strict, bounded JSON parser over raw bytes.
// SPDX-License-Identifier: Apache-2.0

/// Why a payload is not valid JSON.
public enum JSONParsingError: Error, Equatable, Sendable {
    /// The bytes are not RFC 8259 JSON (with the byte offset where decoding stopped).
    case malformed(offset: Int)
    /// A string or key is not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// Objects and arrays nest deeper than the limit.
    case tooDeep
}

/// Parses RFC 8259 JSON from bytes into a `JSONValue`.
///
/// Written for the MQTT thread: it reads the payload in place (no copy into a `String` first),
/// rejects invalid UTF-8 instead of repairing it, bounds nesting depth, and parses integers
/// exactly. Safe from any thread (a value type with no shared state).
public struct JSONParser: Sendable {
    /// The deepest nesting of objects and arrays accepted.
    public var maxDepth: Int

    /// A parser accepting at most `maxDepth` nested objects and arrays (default 16).
    public init(maxDepth: Int = 16) {
        self.maxDepth = maxDepth
    }

    /// Decodes one JSON document; surrounding whitespace is allowed, anything else is not.
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParsingError) -> JSONValue {
        var cursor = Cursor(bytes: bytes, maxDepth: maxDepth)
        cursor.skipWhitespace()
        let value = try cursor.value(depth: 0)
        cursor.skipWhitespace()
        guard cursor.atEnd else { throw .malformed(offset: cursor.index) }
        return value
    }

    /// Decodes a JSON document held in an array (convenience for tests and tools).
    public func parse(_ bytes: [UInt8]) throws(JSONParsingError) -> JSONValue {
        var result: Result<JSONValue, JSONParsingError> = .failure(.malformed(offset: 0))
        bytes.withUnsafeBytes { buffer in
            do throws(JSONParsingError) {
                result = .success(try parse(buffer))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }
}

private struct Cursor {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var index = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    var atEnd: Bool { index >= bytes.count }

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    mutating func expect(_ literal: StaticString) throws(JSONParsingError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw .malformed(offset: index) }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw .malformed(offset: index + offset)
        }
        index += count
    }

    mutating func value(depth: Int) throws(JSONParsingError) -> JSONValue {
        guard let byte = peek() else { throw .malformed(offset: index) }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try number())
        default:
            throw .malformed(offset: index)
        }
    }

    mutating func object(depth: Int) throws(JSONParsingError) -> JSONValue {
        guard depth <= maxDepth else { throw .tooDeep }
        index += 1  // {
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw .malformed(offset: index) }
            let key = try string()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw .malformed(offset: index) }
            index += 1
            skipWhitespace()
            members.append((key, try value(depth: depth)))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(members)
            default: throw .malformed(offset: index)
            }
        }
    }

    mutating func array(depth: Int) throws(JSONParsingError) -> JSONValue {
        guard depth <= maxDepth else { throw .tooDeep }
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(elements)
            default: throw .malformed(offset: index)
            }
        }
    }

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

    /// A number literal (RFC 8259 grammar). Integers are accumulated exactly; anything with a
    /// fraction or exponent, or too long for `Int64`, goes through `Double(String)`.
    mutating func number() throws(JSONParsingError) -> JSONNumber {
        let start = index
        var negative = false
        if peek() == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard let first = peek(), first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else {
            throw .malformed(offset: index)
        }
        var magnitude: UInt64 = 0
        var overflow = false
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let digit = peek(), digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                magnitude = sum
                index += 1
            }
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            try digits()
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
            try digits()
        }
        if isInteger && !overflow {
            let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
            if magnitude <= limit {
                let exact = negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
                return JSONNumber(double: Double(exact), exactInteger: exact)
            }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        // The grammar was checked above, so Double(_:) only fails on what it cannot represent;
        // it returns ±infinity for out-of-range magnitudes, which the mapper refuses as non-finite.
        guard let double = Double(text) else { throw .malformed(offset: start) }
        return JSONNumber(double: double)
    }

    mutating func digits() throws(JSONParsingError) {
        let start = index
        while let digit = peek(), digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") { index += 1 }
        guard index > start else { throw .malformed(offset: index) }
    }
}
