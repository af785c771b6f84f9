// iotflow-bridge: one dead-letter record (refused by the mapping, rejected by InfluxDB) as a JSON line.
// SPDX-License-Identifier: Apache-2.0

/// A record in a dead-letter file: what was refused (by the mapping) or rejected (by InfluxDB),
/// when, by whom and why.
///
/// One format serves both files: lines InfluxDB rejected (`line`, `status`; the
/// `dead_letters.path` file) and messages the mapping refused (`topic`, `payload`; the
/// `dead_letters.refused_path` file). Encoded as one JSON object per line:
/// `{"time":"2026-11-22T10:00:00.123456789Z","reason":"…","status":400,"device":"dev-1","line":"…"}`
/// or `{"time":…,"reason":"malformed_json","topic":"iotflow/devices/dev-1/telemetry/env","payload":"{oops"}`.
/// A message of which only parts were refused is still one record: `refused` lists the parts
/// (`[{"reason":"type_conflict","field":"watts"},{"reason":"non_finite","element":3}]`, at most
/// `maxListedParts`), `refused_more` counts the parts left out of the list, and `reason` is the
/// first part's. The payload is held once per record, whatever the number of parts; a payload cut
/// short adds `payload_bytes` (its whole size). A payload that is not valid UTF-8, or whose JSON
/// escaping would more than double it, is written as `payload_base64`. Keys that do not apply are
/// left out.
public struct DeadLetter: Equatable, Sendable {
    /// When it was refused or rejected, nanoseconds since the epoch.
    public var time: Int64
    /// The server's or the mapping's reason.
    public var reason: String
    /// The HTTP status, for lines InfluxDB rejected.
    public var status: Int?
    /// The device, from the line's `device_id` tag or the topic.
    public var device: String?
    /// The line-protocol line InfluxDB rejected (without its newline).
    public var line: String?
    /// The MQTT topic of a refused message.
    public var topic: String?
    /// The refused message's payload (possibly cut to a bound by the writer of the record).
    public var payload: [UInt8]?
    /// The payload's whole size in bytes, when `payload` holds only its beginning.
    public var payloadBytes: Int?
    /// The values and array elements refused in a message that was otherwise mapped, or whose
    /// every part was refused; empty when the message was refused as a whole.
    public var refused: [MappingRefusal]
    /// Refused parts beyond the ones listed in `refused`.
    public var refusedMore: Int

    /// The most parts a record lists; the rest are only counted (`refused_more`).
    public static let maxListedParts = 32

    /// A record; `device` is taken from the line's `device_id` tag when not given.
    public init(
        time: Int64,
        reason: String,
        status: Int? = nil,
        device: String? = nil,
        line: String? = nil,
        topic: String? = nil,
        payload: [UInt8]? = nil,
        payloadBytes: Int? = nil,
        refused: [MappingRefusal] = [],
        refusedMore: Int = 0
    ) {
        self.time = time
        self.reason = reason
        self.status = status
        self.device = device ?? line.flatMap { Self.tagValue("device_id", in: $0) }
        self.line = line
        self.topic = topic
        self.payload = payload
        self.payloadBytes = payloadBytes
        self.refused = refused
        self.refusedMore = refusedMore
    }

    /// The one record for a message the mapping refused, whole (`parts` empty) or in parts: the
    /// first `maxListedParts` parts listed, the rest counted, the payload cut to `maxPayloadBytes`.
    public init(
        time: Int64,
        refusedAs reason: RefusalReason,
        parts: some Collection<MappingRefusal>,
        device: String?,
        topic: String,
        payload: UnsafeRawBufferPointer,
        maxPayloadBytes: Int
    ) {
        let listed = Array(parts.prefix(Self.maxListedParts))
        self.init(
            time: time,
            reason: (listed.first?.reason ?? reason).description,
            device: device,
            topic: topic,
            payload: Array(payload.prefix(maxPayloadBytes)),
            payloadBytes: payload.count > maxPayloadBytes ? payload.count : nil,
            refused: listed,
            refusedMore: parts.count - listed.count
        )
    }

    /// The record as one JSON line, newline included.
    public var jsonLine: String {
        var json = "{\"time\":\(Self.quoted(Timestamp.rfc3339(nanoseconds: time))),\"reason\":\(Self.quoted(reason))"
        if let status { json += ",\"status\":\(status)" }
        if let device { json += ",\"device\":\(Self.quoted(device))" }
        if let line { json += ",\"line\":\(Self.quoted(line))" }
        if let topic { json += ",\"topic\":\(Self.quoted(topic))" }
        if !refused.isEmpty {
            json += ",\"refused\":[" + refused.map(Self.json).joined(separator: ",") + "]"
        }
        if refusedMore > 0 { json += ",\"refused_more\":\(refusedMore)" }
        if let payload {
            if let text = Self.textWorthQuoting(payload) {
                json += ",\"payload\":\(Self.quoted(text))"
            } else {
                json += ",\"payload_base64\":\"\(Base64.encode(payload))\""
            }
        }
        if let payloadBytes { json += ",\"payload_bytes\":\(payloadBytes)" }
        return json + "}\n"
    }

    /// Reads a record back from one line of the file; nil for anything else.
    public init?(jsonLine: String) {
        guard case .object(let members)? = try? JSONParser().parse(Array(jsonLine.utf8)) else { return nil }
        func string(_ key: String) -> String? {
            if case .string(let value)? = members.last(where: { $0.key == key })?.value { return value }
            return nil
        }
        guard let time = string("time").flatMap({ Timestamp.nanoseconds(rfc3339: $0) }), let reason = string("reason")
        else { return nil }
        func integer(_ key: String) -> Int? {
            if case .number(let number)? = members.last(where: { $0.key == key })?.value {
                return number.exactInteger.map { Int($0) }
            }
            return nil
        }
        let payload = string("payload").map { Array($0.utf8) } ?? string("payload_base64").flatMap(Base64.decode)
        var refused: [MappingRefusal] = []
        if case .array(let parts)? = members.last(where: { $0.key == "refused" })?.value {
            refused = parts.compactMap(Self.refusal)
        }
        self.init(
            time: time,
            reason: reason,
            status: integer("status"),
            device: string("device"),
            line: string("line"),
            topic: string("topic"),
            payload: payload,
            payloadBytes: integer("payload_bytes"),
            refused: refused,
            refusedMore: integer("refused_more") ?? 0
        )
    }

    private static func json(_ part: MappingRefusal) -> String {
        var json = "{\"reason\":\(quoted(part.reason.description))"
        if let field = part.field { json += ",\"field\":\(quoted(field))" }
        if let element = part.element { json += ",\"element\":\(element)" }
        return json + "}"
    }

    private static func refusal(_ value: JSONValue) -> MappingRefusal? {
        guard case .object(let members) = value,
            case .string(let name)? = members.last(where: { $0.key == "reason" })?.value,
            let reason = RefusalReason.allCases.first(where: { $0.description == name })
        else { return nil }
        var part = MappingRefusal(reason)
        if case .string(let field)? = members.last(where: { $0.key == "field" })?.value { part.field = field }
        if case .number(let element)? = members.last(where: { $0.key == "element" })?.value {
            part.element = element.exactInteger.map { Int($0) }
        }
        return part
    }

    /// The payload as text, when it is UTF-8 and JSON escaping keeps it within twice its size
    /// (a control character takes six bytes as `\u00XX`; base64 takes four per three).
    private static func textWorthQuoting(_ payload: [UInt8]) -> String? {
        var escaped = 0
        for byte in payload where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            escaped += byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D ? 5 : 1
        }
        guard escaped <= payload.count else { return nil }
        return String(validating: payload, as: UTF8.self)
    }

    /// The unescaped value of tag `key` in a line-protocol line, if present.
    static func tagValue(_ key: String, in line: String) -> String? {
        // The series key ends at the first unescaped space; tags follow unescaped commas.
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," || character == " " {
                fields.append(current)
                current = ""
                if character == " " { break }
            } else {
                current.append(character)
            }
        }
        for tag in fields.dropFirst() {
            let parts = tag.split(separator: "=", maxSplits: 1)
            if parts.count == 2 && parts[0] == key { return String(parts[1]) }
        }
        return nil
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }
}
