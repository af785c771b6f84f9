// iotflow-bridge: one refused piece of data, as a JSON line an operator can read and replay.
// SPDX-License-Identifier: Apache-2.0

/// A record in the dead-letter file: what was refused, when, by whom and why.
///
/// One format serves both sources of refusals: lines InfluxDB refused (`line`, `status`) and
/// messages the mapping refused (`topic`, `payload`). Encoded as one JSON object per line:
/// `{"time":"2026-11-22T10:00:00.123456789Z","reason":"…","status":400,"device":"dev-1","line":"…"}`
/// or `{"time":…,"reason":"malformed_json","topic":"iotflow/devices/dev-1/telemetry/env","payload":"{oops"}`;
/// a single refused value adds `field` (`"reason":"type_conflict","field":"watts"`), a refused element
/// of an array payload adds `element` (its index).
/// A payload that is not valid UTF-8 is written as `payload_base64`. Keys that do not apply are
/// left out.
public struct DeadLetter: Equatable, Sendable {
    /// When it was refused, nanoseconds since the epoch.
    public var time: Int64
    /// The server's or the mapping's reason.
    public var reason: String
    /// The HTTP status of the refusal, for server rejections.
    public var status: Int?
    /// The device, from the line's `device_id` tag or the topic.
    public var device: String?
    /// The line-protocol line that was refused (without its newline).
    public var line: String?
    /// The MQTT topic of a refused message.
    public var topic: String?
    /// The refused message's payload (possibly cut to a bound by the writer of the record).
    public var payload: [UInt8]?
    /// The field whose value was refused, when the mapping refused one value of a message.
    public var field: String?
    /// The index of the refused element, when the payload was an array of readings.
    public var element: Int?

    /// A record; `device` is taken from the line's `device_id` tag when not given.
    public init(
        time: Int64,
        reason: String,
        status: Int? = nil,
        device: String? = nil,
        line: String? = nil,
        topic: String? = nil,
        payload: [UInt8]? = nil,
        field: String? = nil,
        element: Int? = nil
    ) {
        self.time = time
        self.reason = reason
        self.status = status
        self.device = device ?? line.flatMap { Self.tagValue("device_id", in: $0) }
        self.line = line
        self.topic = topic
        self.payload = payload
        self.field = field
        self.element = element
    }

    /// The record as one JSON line, newline included.
    public var jsonLine: String {
        var json = "{\"time\":\(Self.quoted(Timestamp.rfc3339(nanoseconds: time))),\"reason\":\(Self.quoted(reason))"
        if let status { json += ",\"status\":\(status)" }
        if let device { json += ",\"device\":\(Self.quoted(device))" }
        if let line { json += ",\"line\":\(Self.quoted(line))" }
        if let topic { json += ",\"topic\":\(Self.quoted(topic))" }
        if let field { json += ",\"field\":\(Self.quoted(field))" }
        if let element { json += ",\"element\":\(element)" }
        if let payload {
            if let text = String(validating: payload, as: UTF8.self) {
                json += ",\"payload\":\(Self.quoted(text))"
            } else {
                json += ",\"payload_base64\":\"\(Base64.encode(payload))\""
            }
        }
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
        self.init(
            time: time,
            reason: reason,
            status: integer("status"),
            device: string("device"),
            line: string("line"),
            topic: string("topic"),
            payload: payload,
            field: string("field"),
            element: integer("element")
        )
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
