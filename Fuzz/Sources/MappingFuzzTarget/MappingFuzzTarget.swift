// iotflow-bridge: libFuzzer entry point: any topic and payload map to safe line protocol or a refusal.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

/// The input is `topic 0x00 payload`; without a 0x00 the whole input is the payload on a
/// well-formed topic. Each input is mapped three times: with strings as string fields (`string_policy:
/// field`); with strings as tags, integer/unsigned overrides, a fixed-measurement route, the topic
/// tag, a device registry and tight limits; and with the defaults plus declared types and a schema
/// (numbers and booleans written as text, integers, booleans). Besides "never crash, never hang",
/// every mapped result must hold the invariants that keep line protocol from being injected; a
/// violation traps, which libFuzzer reports as a crash with the input that caused it. Each mapper
/// keeps its type registry across inputs, as on the MQTT thread.
///
/// The cost of one message is checked too: no more points than `max_points_per_message`, no more
/// line-protocol bytes than `max_encoded_bytes`, and at most one dead-letter record, of one line,
/// listing at most `DeadLetter.maxListedParts` parts and no larger than the payload twice over.
private let configurations = [
    MappingConfiguration(stringPolicy: .field),
    MappingConfiguration(
        routes: [
            "iotflow/devices/{device_id}/telemetry/{measurement}",
            "iotflow/devices/{device_id}/status/{_} -> device_status",
            "{site}/+/{device_id}/{measurement}",
        ],
        topicTag: true,
        stringPolicy: .tag,
        fieldTypes: ["count:integer", "n:unsigned", "value:integer"],
        maxFields: 8,
        maxDepth: 3,
        maxKeyBytes: 16,
        maxStringBytes: 16,
        maxFieldTypes: 64,
        maxPointsPerMessage: 16,
        maxEncodedBytes: 2048
    ),
    MappingConfiguration(fieldTypes: ["state:string", "on:boolean", "level:float"]),
]
nonisolated(unsafe) private var mappers = [
    PointMapper(configuration: configurations[0]),
    PointMapper(
        configuration: configurations[1],
        deviceRegistry: DeviceRegistry(devices: [
            "dev-1": [.init(key: "location", value: "roof, \"east\"\\"), .init(key: "device_type", value: "env")]
        ])
    ),
    { () -> PointMapper in
        var mapper = PointMapper(configuration: configurations[2])
        var schema = FieldSchema()
        schema.add(.string, measurement: "environment", field: "value")
        schema.add(.integer, measurement: "environment", field: "t")
        schema.add(.boolean, measurement: "environment", field: "door")
        mapper.useSchema(schema)
        return mapper
    }(),
]
nonisolated(unsafe) private var writer = LineProtocolWriter()
private let defaultTopic = Array("iotflow/devices/dev-1/telemetry/environment".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func mappingFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let separator = input.firstIndex(of: 0)
    let topic = separator.map { Array(input[..<$0]) } ?? defaultTopic
    let payload = separator.map { UnsafeRawBufferPointer(rebasing: input[($0 + 1)...]) } ?? input
    for index in mappers.indices {
        writer.removeAll()
        let result = topic.withUnsafeBytes { topicBytes in
            mappers[index].map(
                topic: topicBytes,
                payload: payload,
                receivedAt: 1_700_000_000_000_000_000,
                into: &writer
            )
        }
        check(result, refusals: mappers[index].refusals)
        checkCost(result, of: mappers[index], topic: topic, payload: payload, bounds: configurations[index])
    }
    return 0
}

/// What one message cost: its points and bytes, and the dead-letter record the intake would write.
private func checkCost(
    _ result: MappingResult,
    of mapper: PointMapper,
    topic: [UInt8],
    payload: UnsafeRawBufferPointer,
    bounds: MappingConfiguration
) {
    precondition(writer.pointCount <= bounds.maxPointsPerMessage, "more points than max_points_per_message")
    precondition(writer.bytes.count <= bounds.maxEncodedBytes, "more bytes than max_encoded_bytes")
    let reason: RefusalReason
    switch result {
    case .refused(let refused): reason = refused
    case .mapped:
        guard let first = mapper.refusals.first else { return }
        reason = first.reason
    }
    let record = DeadLetter(
        time: 0,
        refusedAs: reason,
        parts: mapper.refusals,
        device: topic.withUnsafeBytes { mapper.deviceID(in: $0) },
        topic: String(decoding: topic, as: UTF8.self),
        payload: payload,
        maxPayloadBytes: 65_536
    ).jsonLine
    precondition(record.utf8.filter { $0 == UInt8(ascii: "\n") }.count == 1, "a message made more than one record")
    // The payload once (escaping at most doubles it), the topic (a control byte escapes to six),
    // and at most 32 listed parts, each a reason and a key of at most max_key_bytes (256).
    let bound = 2 * min(payload.count, 65_536) + 6 * topic.count + 32 * (2 * 256 + 64) + 1024
    precondition(record.utf8.count <= bound, "a record is larger than its payload twice over")
}

private func check(_ result: MappingResult, refusals: [MappingRefusal]) {
    guard case .mapped(let points, _) = result else {
        precondition(writer.bytes.isEmpty, "a refused message left bytes behind")
        if case .refused(let reason) = result, !refusals.isEmpty {
            precondition(reason == refusals[0].reason, "a refusal does not name its first refused part")
        }
        return
    }
    precondition(points > 0, "mapped without a point")
    let lines = writer.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    precondition(writer.bytes.last == UInt8(ascii: "\n"), "output does not end with a newline")
    precondition(lines.count == points + 1 && lines.last?.isEmpty == true, "more lines than points")
    precondition(writer.lineLengths.reduce(0, +) == writer.bytes.count, "line lengths do not add up")
    for line in lines.dropLast() {
        precondition(String(validating: line, as: UTF8.self) != nil, "a line is not valid UTF-8")
        precondition(!line.contains { $0 < 0x20 || $0 == 0x7F }, "a control character got through")
        precondition(LineChecker.isValid(Array(line)), "a line does not read back as one well-formed point")
    }
}

/// Reads a line the way InfluxDB's parsers do and checks the bridge's own, stricter rules:
/// `measurement[,key=value...] key=value[,key=value...] timestamp`, where in identifiers `\` only
/// escapes `,`, `=` or space (so none ends in `\`), no identifier is empty, an unescaped `=` never
/// sits in a tag value, string values escape only `"` and `\`, every other field value is a finite
/// float, `<int>i`, `<uint>u` or a boolean, no tag or field key repeats, and the timestamp is an integer.
private enum LineChecker {
    static func isValid(_ line: [UInt8]) -> Bool {
        var index = 0
        guard line.first != UInt8(ascii: "#"), identifier(line, &index, stops: [",", " "]) != nil else { return false }
        var tagKeys: Set<[UInt8]> = []
        while index < line.count && line[index] == UInt8(ascii: ",") {
            index += 1
            guard let key = identifier(line, &index, stops: ["=", ",", " "]), tagKeys.insert(key).inserted,
                index < line.count, line[index] == UInt8(ascii: "=")
            else { return false }
            index += 1
            guard identifier(line, &index, stops: [",", " ", "="]) != nil else { return false }
        }
        guard index < line.count && line[index] == UInt8(ascii: " ") else { return false }
        var fieldKeys: Set<[UInt8]> = []
        repeat {
            index += 1
            guard let key = identifier(line, &index, stops: ["=", ",", " "]), fieldKeys.insert(key).inserted,
                index < line.count, line[index] == UInt8(ascii: "=")
            else { return false }
            index += 1
            guard fieldValue(line, &index) else { return false }
        } while index < line.count && line[index] == UInt8(ascii: ",")
        guard index < line.count && line[index] == UInt8(ascii: " ") else { return false }
        let timestamp = line[(index + 1)...]
        return Int64(String(decoding: timestamp, as: UTF8.self)) != nil
    }

    /// An identifier up to an unescaped stop byte, unescaped; nil when empty or badly escaped.
    private static func identifier(_ line: [UInt8], _ index: inout Int, stops: [Unicode.Scalar]) -> [UInt8]? {
        var result: [UInt8] = []
        while index < line.count && !stops.contains(where: { UInt8(ascii: $0) == line[index] }) {
            if line[index] == UInt8(ascii: "\\") {
                guard index + 1 < line.count, ",= ".utf8.contains(line[index + 1]) else { return nil }
                index += 1
            }
            result.append(line[index])
            index += 1
        }
        return result.isEmpty ? nil : result
    }

    private static func fieldValue(_ line: [UInt8], _ index: inout Int) -> Bool {
        if index < line.count && line[index] == UInt8(ascii: "\"") {
            index += 1
            while index < line.count && line[index] != UInt8(ascii: "\"") {
                if line[index] == UInt8(ascii: "\\") {
                    guard index + 1 < line.count, "\"\\".utf8.contains(line[index + 1]) else { return false }
                    index += 1
                }
                index += 1
            }
            guard index < line.count else { return false }
            index += 1
            return true
        }
        let start = index
        while index < line.count && line[index] != UInt8(ascii: ",") && line[index] != UInt8(ascii: " ") { index += 1 }
        let text = String(decoding: line[start..<index], as: UTF8.self)
        if text == "true" || text == "false" { return true }
        if text.hasSuffix("i") { return Int64(text.dropLast()) != nil }
        if text.hasSuffix("u") { return UInt64(text.dropLast()) != nil }
        return !text.isEmpty && text.utf8.allSatisfy { "0123456789+-.e".utf8.contains($0) }
            && Double(text)?.isFinite == true
    }
}
