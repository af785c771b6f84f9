// iotflow-bridge: the table's cases about refusals: bad topics, over-long keys and strings, limits.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

private let R = receivedAt

extension MappingTable {
    static let refusals: [MappingCase] = [
        MappingCase(
            "a device id with a newline is refused",
            topic: "iotflow/devices/dev\n1/telemetry/m",
            #"{"t": 1}"#,
            refused: .invalidDeviceID
        ),
        MappingCase(
            "a 129-byte device id is refused",
            topic: "iotflow/devices/\(String(repeating: "d", count: 129))/telemetry/m",
            #"{"t": 1}"#,
            refused: .invalidDeviceID
        ),
        MappingCase(
            "a status topic without a status route",
            topic: "iotflow/devices/dev-1/status/environment",
            #"{"t": 1}"#,
            refused: .topicMismatch
        ),
        MappingCase("too few levels", topic: "iotflow/devices/dev-1/telemetry", #"{"t": 1}"#, refused: .topicMismatch),
        MappingCase(
            "too many levels",
            topic: "iotflow/devices/dev-1/telemetry/x/y",
            #"{"t": 1}"#,
            refused: .topicMismatch
        ),
        MappingCase(
            "an empty device level",
            topic: "iotflow/devices//telemetry/environment",
            #"{"t": 1}"#,
            refused: .invalidTopicLevel
        ),
        MappingCase(
            "an empty measurement level",
            topic: "iotflow/devices/dev-1/telemetry/",
            #"{"t": 1}"#,
            refused: .invalidTopicLevel
        ),
        MappingCase(
            "a measurement level over 256 bytes",
            topic: "iotflow/devices/d/telemetry/\(String(repeating: "m", count: 257))",
            #"{"t": 1}"#,
            refused: .invalidTopicLevel
        ),
        MappingCase("not JSON", "not json", refused: .malformedJSON),
        MappingCase("trailing comma", #"{"t": 1,}"#, refused: .malformedJSON),
        MappingCase("leading zero", #"{"t": 01}"#, refused: .malformedJSON),
        MappingCase("trailing garbage", #"{"t": 1} x"#, refused: .malformedJSON),
        MappingCase("empty payload", "", refused: .malformedJSON),
        MappingCase("bad escape", #"{"t": "\x"}"#, refused: .malformedJSON),
        MappingCase("raw control character in a key", "{\"t\u{1}\": 1}", refused: .malformedJSON),
        MappingCase("NaN literal", "NaN", refused: .malformedJSON),
        MappingCase("lone surrogate", #"{"\ud800": 1}"#, refused: .invalidUTF8),
        MappingCase("nesting beyond the parser's bound", String(repeating: "[", count: 40), refused: .tooDeep),
        MappingCase("empty object", "{}", refused: .noFields),
        MappingCase("only nulls", #"{"a": null}"#, refused: .noFields),
        MappingCase("only a timestamp", #"{"ts": 1704110400}"#, refused: .noFields),
        MappingCase(
            "a key over max_key_bytes is refused, the rest lands",
            #"{"abcdefghij": 1, "t": 2}"#,
            .tightLimits,
            lines: "\(env) t=2 \(R)\n",
            refusals: [field(.keyTooLong, "abcdefgh")]
        ),
        MappingCase(
            "a string over max_string_bytes is refused, the rest lands",
            #"{"s": "hello", "t": 1}"#,
            .tightLimits,
            lines: "\(env) t=1 \(R)\n",
            refusals: [field(.stringTooLong, "s")]
        ),
        MappingCase("more fields than max_fields", #"{"a": 1, "b": 2, "c": 3}"#, .tightLimits, refused: .tooManyFields),
        MappingCase(
            "a point refused as a whole is one refusal, not also its refused values",
            #"{"a": 1, "b": 2, "c": 3, "s": "hello"}"#,
            .tightLimits,
            refused: .tooManyFields
        ),
        MappingCase(
            "a burst element refused as a whole is one refusal",
            #"[{"a":1,"s":"hello","b":2,"c":3},{"t":1}]"#,
            .tightLimits,
            lines: "\(env) t=1 \(R + 1)\n",
            refusals: [MappingRefusal(.tooManyFields, element: 0)]
        ),
        MappingCase(
            "a payload over max_payload_bytes",
            #"{"temperature": 24.5, "humidity": 60, "battery": 85}"#,
            .tightLimits,
            refused: .payloadTooLarge
        ),
    ]
}
