// iotflow-bridge: topic + payload → exact line protocol, and every refusal.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

/// The intake time the mapper stamps on points without a device timestamp.
private let received: Int64 = 1_700_000_000_000_000_000
private let topic = "iotflow/devices/dev-1/telemetry/environment"

private func map(
    _ payload: String,
    topic: String = topic,
    configuration: MappingConfiguration = .init()
) -> (MappingResult, String) {
    var mapper = PointMapper(configuration: configuration)
    var writer = LineProtocolWriter()
    let result = Array(topic.utf8).withUnsafeBytes { topicBytes in
        Array(payload.utf8).withUnsafeBytes { payloadBytes in
            mapper.map(topic: topicBytes, payload: payloadBytes, receivedAt: received, into: &writer)
        }
    }
    return (result, String(decoding: writer.bytes, as: UTF8.self))
}

@Suite struct PointMapperTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var payload: String
        var topic = "iotflow/devices/dev-1/telemetry/environment"
        var lines: String
        var skipped = 0
        var testDescription: String { name }
    }

    static let mapped: [Case] = [
        Case(
            name: "flat object, integers written as floats",
            payload: #"{"temperature": 24.5, "humidity": 60, "battery_level": 85}"#,
            lines: "environment,device_id=dev-1 temperature=24.5,humidity=60,battery_level=85 \(received)\n"
        ),
        Case(
            name: "seed example with RFC 3339 timestamp",
            payload: #"{"temperature": 25.5, "humidity": 60.0, "timestamp": "2024-01-01T12:00:00Z"}"#,
            lines: "environment,device_id=dev-1 temperature=25.5,humidity=60 1704110400000000000\n"
        ),
        Case(
            name: "epoch seconds from WiFi.getTime()",
            payload: #"{"temperature": 25.1, "timestamp": 1735732800}"#,
            lines: "environment,device_id=dev-1 temperature=25.1 1735732800000000000\n"
        ),
        Case(
            name: "epoch milliseconds",
            payload: #"{"t": 1, "timestamp": 1735732800123}"#,
            lines: "environment,device_id=dev-1 t=1 1735732800123000000\n"
        ),
        Case(
            name: "epoch microseconds",
            payload: #"{"t": 1, "ts": 1735732800123456}"#,
            lines: "environment,device_id=dev-1 t=1 1735732800123456000\n"
        ),
        Case(
            name: "epoch nanoseconds keep all 19 digits",
            payload: #"{"t": 1, "time": 1735732800123456789}"#,
            lines: "environment,device_id=dev-1 t=1 1735732800123456789\n"
        ),
        Case(
            name: "fractional epoch seconds",
            payload: #"{"t": 1, "timestamp": 1735732800.5}"#,
            lines: "environment,device_id=dev-1 t=1 1735732800500000000\n"
        ),
        Case(
            name: "epoch number as text",
            payload: #"{"t": 1, "timestamp": "1735732800"}"#,
            lines: "environment,device_id=dev-1 t=1 1735732800000000000\n"
        ),
        Case(
            name: "RFC 3339 with offset and nanoseconds",
            payload: #"{"t": 1, "timestamp": "2024-01-01T14:00:00.123456789+02:00"}"#,
            lines: "environment,device_id=dev-1 t=1 1704110400123456789\n"
        ),
        Case(
            name: "RFC 3339 with milliseconds",
            payload: #"{"t": 1, "timestamp": "2024-01-01T12:00:00.5Z"}"#,
            lines: "environment,device_id=dev-1 t=1 1704110400500000000\n"
        ),
        Case(
            name: "booleans stay booleans",
            payload: #"{"door_open": true, "alarm": false}"#,
            lines: "environment,device_id=dev-1 door_open=true,alarm=false \(received)\n"
        ),
        Case(
            name: "strings, nulls and nested values are skipped and counted",
            payload: #"{"t": 1, "name": "x", "n": null, "env": {"a": 1}, "list": [1]}"#,
            lines: "environment,device_id=dev-1 t=1 \(received)\n",
            skipped: 4
        ),
        Case(
            name: "bare number payload",
            payload: "23.5",
            lines: "environment,device_id=dev-1 value=23.5 \(received)\n"
        ),
        Case(
            name: "bare boolean payload",
            payload: " true ",
            lines: "environment,device_id=dev-1 value=true \(received)\n"
        ),
        Case(
            name: "negative and exponent numbers",
            payload: #"{"a": -12, "b": 1.5e3, "c": -2.5E-3}"#,
            lines: "environment,device_id=dev-1 a=-12,b=1500,c=-0.0025 \(received)\n"
        ),
        Case(
            name: "integers beyond 2^53 keep their nearest double",
            payload: #"{"big": 9007199254740993}"#,
            lines: "environment,device_id=dev-1 big=9007199254740992.0 \(received)\n"
        ),
        Case(
            name: "non-finite numbers are skipped",
            payload: #"{"a": 1e999, "b": 2}"#,
            lines: "environment,device_id=dev-1 b=2 \(received)\n",
            skipped: 1
        ),
        Case(
            name: "duplicate keys: the last wins",
            payload: #"{"a": 1, "a": 2}"#,
            lines: "environment,device_id=dev-1 a=2 \(received)\n"
        ),
        Case(
            name: "keys needing escapes",
            payload: #"{"temp c": 1, "a,b": 2, "x=y": 3, "q\"": 4}"#,
            lines: "environment,device_id=dev-1 temp\\ c=1,a\\,b=2,x\\=y=3,q_=4 \(received)\n"
        ),
        Case(
            name: "keys with escaped control characters and backslashes cannot inject",
            payload: #"{"a\nenvironment,device_id=evil b": 1, "c\\": 2}"#,
            lines: "environment,device_id=dev-1 a_environment\\,device_id\\=evil\\ b=1,c_=2 \(received)\n"
        ),
        Case(
            name: "unicode keys and escapes",
            payload: #"{"température": 21, "\u00e9t\u00e9": 1, "\ud83d\ude00": 2}"#,
            lines: "environment,device_id=dev-1 température=21,été=1,😀=2 \(received)\n"
        ),
        Case(
            name: "hostile device id is escaped",
            payload: #"{"t": 1}"#,
            topic: "iotflow/devices/dev 1,x=y/telemetry/env,m",
            lines: "env\\,m,device_id=dev\\ 1\\,x\\=y t=1 \(received)\n"
        ),
        Case(
            name: "device id with a newline cannot start a new line",
            payload: #"{"t": 1}"#,
            topic: "iotflow/devices/dev\n1/telemetry/#m",
            lines: "_m,device_id=dev_1 t=1 \(received)\n"
        ),
        Case(
            name: "payload device_id never overrides the topic's",
            payload: #"{"t": 1, "device_id": "other"}"#,
            lines: "environment,device_id=dev-1 t=1 \(received)\n",
            skipped: 1
        ),
        Case(
            name: "a numeric device_id key is not written over the tag",
            payload: #"{"t": 1, "device_id": 5}"#,
            lines: "environment,device_id=dev-1 t=1 \(received)\n",
            skipped: 1
        ),
        Case(
            name: "keys that become the same key on the wire: the last wins",
            payload: #"{"a\n": 1, "a\t": 2}"#,
            lines: "environment,device_id=dev-1 a_=2 \(received)\n"
        ),
        Case(
            name: "whitespace around the document",
            payload: " \n\t{\"t\" : 1 }\r\n",
            lines: "environment,device_id=dev-1 t=1 \(received)\n"
        ),
    ]

    @Test(arguments: mapped)
    func mapsPayload(_ example: Case) {
        let (result, lines) = map(example.payload, topic: example.topic)
        #expect(result == .mapped(points: 1, skippedFields: example.skipped))
        #expect(lines == example.lines)
        #expect(LineProtocolParser.parse(lines)?.count == 1)
    }

    static let refused: [(String, String, RefusalReason)] = [
        ("not json", topic, .malformedJSON),
        ("{\"t\": 1,}", topic, .malformedJSON),
        ("{\"t\": 01}", topic, .malformedJSON),
        ("{\"t\": 1} x", topic, .malformedJSON),
        ("", topic, .malformedJSON),
        ("{\"t\": \"\\x\"}", topic, .malformedJSON),
        ("{\"t\u{1}\": 1}", topic, .malformedJSON),
        ("NaN", topic, .malformedJSON),
        ("{\"\\ud800\": 1}", topic, .invalidUTF8),
        (String(repeating: "[", count: 40), topic, .tooDeep),
        ("\"text\"", topic, .unsupportedPayload),
        ("[{\"t\": 1}]", topic, .unsupportedPayload),
        ("null", topic, .unsupportedPayload),
        ("{}", topic, .noFields),
        ("{\"name\": \"x\"}", topic, .noFields),
        ("1e999", topic, .noFields),
        ("{\"t\": 1, \"timestamp\": \"yesterday\"}", topic, .invalidTimestamp),
        ("{\"t\": 1, \"timestamp\": \"2024-02-30T00:00:00Z\"}", topic, .invalidTimestamp),
        ("{\"t\": 1, \"timestamp\": \"2024-01-01T12:00:00\"}", topic, .invalidTimestamp),
        ("{\"t\": 1, \"timestamp\": true}", topic, .invalidTimestamp),
        ("{\"t\": 1, \"timestamp\": \"3000-01-01T00:00:00Z\"}", topic, .invalidTimestamp),
        ("{\"t\": 1}", "iotflow/devices/dev-1/status/environment", .topicMismatch),
        ("{\"t\": 1}", "iotflow/devices/dev-1/telemetry", .topicMismatch),
        ("{\"t\": 1}", "iotflow/devices/dev-1/telemetry/x/y", .topicMismatch),
        ("{\"t\": 1}", "iotflow/devices//telemetry/environment", .invalidTopicLevel),
        ("{\"t\": 1}", "iotflow/devices/dev-1/telemetry/", .invalidTopicLevel),
        ("{\"t\": 1}", "iotflow/devices/\(String(repeating: "d", count: 257))/telemetry/m", .invalidTopicLevel),
    ]

    @Test(arguments: refused)
    func refusesPayload(payload: String, topic: String, reason: RefusalReason) {
        let (result, lines) = map(payload, topic: topic)
        #expect(result == .refused(reason))
        #expect(lines.isEmpty)
    }

    @Test func refusesTopicLevelsThatAreNotUTF8() {
        var mapper = PointMapper(configuration: MappingConfiguration())
        var writer = LineProtocolWriter()
        let topic = Array("iotflow/devices/d/telemetry/m".utf8) + [0x8A]
        let result = topic.withUnsafeBytes { t in
            Array("{\"t\": 1}".utf8).withUnsafeBytes { mapper.map(topic: t, payload: $0, receivedAt: 0, into: &writer) }
        }
        #expect(result == .refused(.invalidTopicLevel) && writer.bytes.isEmpty)
    }

    @Test func refusesOversizedPayloadBeforeParsing() {
        let payload = "{\"t\": \"\(String(repeating: "x", count: 100))\"}"
        let (result, _) = map(payload, configuration: MappingConfiguration(maxPayloadBytes: 64))
        #expect(result == .refused(.payloadTooLarge))
    }

    @Test func refusesTooManyFields() {
        let members = (0...PointMapper.maxFieldsPerPoint).map { "\"f\($0)\": \($0)" }.joined(separator: ",")
        #expect(map("{\(members)}").0 == .refused(.tooManyFields))
    }

    @Test func customTemplateGivesTagsAndSkipsLevels() {
        let configuration = MappingConfiguration(topicTemplate: "site/{site}/+/{device_id}/{measurement}")
        let (result, lines) = map("{\"v\": 1}", topic: "site/berlin/floor2/dev-9/power", configuration: configuration)
        #expect(result == .mapped(points: 1, skippedFields: 0))
        #expect(lines == "power,site=berlin,device_id=dev-9 v=1 \(received)\n")
    }

    @Test func sameMessageEncodesToSameBytes() {
        // A redelivered message must overwrite, not duplicate: its bytes are identical.
        #expect(map("{\"t\": 1.5}").1 == map("{\"t\": 1.5}").1)
    }

    @Test func fiftyThenFiftyPointFiveAreBothFloats() {
        let first = LineProtocolParser.parse(map("{\"v\": 50}").1)?.first?.fields["v"]
        let second = LineProtocolParser.parse(map("{\"v\": 50.5}").1)?.first?.fields["v"]
        #expect(first == "50" && second == "50.5")
        #expect(first?.hasSuffix("i") == false)
    }
}
