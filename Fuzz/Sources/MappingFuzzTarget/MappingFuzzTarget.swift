// iotflow-bridge: libFuzzer entry point: any topic and payload map to safe line protocol or a refusal.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

/// The input is `topic 0x00 payload`; without a 0x00 the whole input is the payload on a
/// well-formed topic. Besides "never crash, never hang", every mapped result must hold the
/// invariants that keep line protocol from being injected; a violation traps, which libFuzzer
/// reports as a crash with the input that caused it.
nonisolated(unsafe) private var mapper = PointMapper(configuration: MappingConfiguration())
nonisolated(unsafe) private var writer = LineProtocolWriter()
private let defaultTopic = Array("iotflow/devices/dev-1/telemetry/environment".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func mappingFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let separator = input.firstIndex(of: 0)
    let topic = separator.map { Array(input[..<$0]) } ?? defaultTopic
    let payload = separator.map { UnsafeRawBufferPointer(rebasing: input[($0 + 1)...]) } ?? input
    writer.removeAll()
    let result = topic.withUnsafeBytes { topicBytes in
        mapper.map(topic: topicBytes, payload: payload, receivedAt: 1_700_000_000_000_000_000, into: &writer)
    }
    guard case .mapped(let points, _) = result else {
        precondition(writer.bytes.isEmpty, "a refused message left bytes behind")
        return 0
    }
    let lines = writer.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    precondition(writer.bytes.last == UInt8(ascii: "\n"), "output does not end with a newline")
    precondition(lines.count == points + 1 && lines.last?.isEmpty == true, "more lines than points")
    precondition(writer.lineLengths.reduce(0, +) == writer.bytes.count, "line lengths do not add up")
    for line in lines.dropLast() {
        precondition(line.first != UInt8(ascii: "#"), "a line would be read as a comment")
        precondition(!line.contains(UInt8(ascii: "\r")) && !line.contains(0), "a control character got through")
        precondition(String(validating: line, as: UTF8.self) != nil, "a line is not valid UTF-8")
        precondition(sectionCount(Array(line)) == 3, "a line does not split into key, fields and timestamp")
    }
    return 0
}

/// Splits a line the way InfluxDB's parsers do: the key (measurement and tags) ends at the first
/// unescaped space; in the fields a `"` right after an unescaped `=` opens a string value, which
/// ends at the next unescaped `"`; the fields end at the next unescaped space outside a string.
/// Returns the number of sections, or 0 when a string or escape is left open.
private func sectionCount(_ line: [UInt8]) -> Int {
    var sections = 1
    var escaped = false
    var inString = false
    var afterEquals = false
    for byte in line {
        if escaped {
            escaped = false
            afterEquals = false
            continue
        }
        let isEquals = byte == UInt8(ascii: "=")
        defer { afterEquals = isEquals }
        switch byte {
        case UInt8(ascii: "\\"):
            escaped = true
        case UInt8(ascii: "\"") where sections == 2:
            if inString {
                inString = false
            } else if afterEquals {
                inString = true
            }
        case UInt8(ascii: " ") where !inString:
            sections += 1
        default:
            break
        }
    }
    return inString || escaped ? 0 : sections
}
