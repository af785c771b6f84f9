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
        var cursor = JSONCursor(bytes: bytes, maxDepth: maxDepth)
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

/// A read position in one document; the grammar's productions are its methods (string literals
/// in `JSONParser+String.swift`).
struct JSONCursor {
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
        if closesAtOnce(UInt8(ascii: "}")) { return .object(members) }
        repeat {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw .malformed(offset: index) }
            let key = try string()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw .malformed(offset: index) }
            index += 1
            skipWhitespace()
            members.append((key, try value(depth: depth)))
        } while try !closesAfterItem(UInt8(ascii: "}"))
        return .object(members)
    }

    mutating func array(depth: Int) throws(JSONParsingError) -> JSONValue {
        guard depth <= maxDepth else { throw .tooDeep }
        index += 1  // [
        var elements: [JSONValue] = []
        if closesAtOnce(UInt8(ascii: "]")) { return .array(elements) }
        repeat {
            skipWhitespace()
            elements.append(try value(depth: depth))
        } while try !closesAfterItem(UInt8(ascii: "]"))
        return .array(elements)
    }

    /// Just after `{` or `[`: whether `closing` follows (consumed), making the list empty.
    mutating func closesAtOnce(_ closing: UInt8) -> Bool {
        skipWhitespace()
        guard peek() == closing else { return false }
        index += 1
        return true
    }

    /// After a member or element: true at `closing` (consumed), false after a comma (consumed).
    mutating func closesAfterItem(_ closing: UInt8) throws(JSONParsingError) -> Bool {
        skipWhitespace()
        guard let byte = peek() else { throw .malformed(offset: index) }
        switch byte {
        case UInt8(ascii: ","):
            index += 1
            return false
        case closing:
            index += 1
            return true
        default:
            throw .malformed(offset: index)
        }
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
