// iotflow-bridge: the table's cases about payload shapes: IoTFlow shapes, nesting, burst arrays, whitespace.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

private let R = receivedAt

extension MappingTable {
    static let shapes: [MappingCase] = [
        MappingCase(
            "flat object, integers written as floats",
            #"{"temperature": 24.5, "humidity": 60, "battery_level": 85}"#,
            lines: "\(env) temperature=24.5,humidity=60,battery_level=85 \(R)\n"
        ),
        MappingCase(
            "seed example with RFC 3339 timestamp",
            #"{"temperature": 25.5, "humidity": 60.0, "timestamp": "2024-01-01T12:00:00Z"}"#,
            lines: "\(env) temperature=25.5,humidity=60 1704110400000000000\n"
        ),
        MappingCase(
            "IoTFlow HTTP shape: data fields, metadata tags, type as device_type",
            #"{"data": {"temperature": 24.5, "humidity": 60}, "type": "environmental", "metadata": {"location": "office"}}"#,
            lines: "\(env),device_type=environmental,location=office temperature=24.5,humidity=60 \(R)\n"
        ),
        MappingCase(
            "IoTFlow HTTP shape with a top-level timestamp",
            #"{"data": {"t": 1}, "timestamp": "2024-01-01T12:00:00Z"}"#,
            lines: "\(env) t=1 1704110400000000000\n"
        ),
        MappingCase(
            "IoTFlow HTTP shape with the timestamp inside data",
            #"{"data": {"t": 1, "ts": 1704110400}}"#,
            lines: "\(env) t=1 1704110400000000000\n"
        ),
        MappingCase(
            "IoTFlow metadata numbers and booleans become tag text",
            #"{"data": {"t": 1}, "metadata": {"floor": 2, "indoor": true, "gain": 1.5}}"#,
            lines: "\(env),floor=2,indoor=true,gain=1.5 t=1 \(R)\n"
        ),
        MappingCase(
            "IoTFlow metadata cannot replace the topic's device_id",
            #"{"data": {"t": 1}, "metadata": {"device_id": "evil"}}"#,
            lines: "\(env) t=1 \(R)\n",
            skipped: 1
        ),
        MappingCase(
            "IoTFlow shape keeps other top-level values as fields",
            #"{"data": {"t": 1}, "rssi": -70}"#,
            lines: "\(env) t=1,rssi=-70 \(R)\n"
        ),
        MappingCase(
            "nested objects are flattened with _",
            #"{"env": {"t": 1, "h": {"rel": 50}}, "ok": true}"#,
            lines: "\(env) env_t=1,env_h_rel=50,ok=1 \(R)\n"
        ),
        MappingCase(
            "a flattened key and a flat key that are equal: the last wins",
            #"{"env_t": 1, "env": {"t": 2}}"#,
            lines: "\(env) env_t=2 \(R)\n"
        ),
        MappingCase(
            "arrays and nulls inside an object are skipped and counted",
            #"{"t": 1, "list": [1, 2], "n": null}"#,
            lines: "\(env) t=1 \(R)\n",
            skipped: 2
        ),
        MappingCase(
            "nesting deeper than max_depth refuses the point",
            #"{"a": {"b": {"c": 1}}}"#,
            .tightLimits,
            refused: .tooDeep
        ),
        MappingCase("bare number payload", "23.5", lines: "\(env) value=23.5 \(R)\n"),
        MappingCase("bare integer payload is a float", "50", lines: "\(env) value=50 \(R)\n"),
        MappingCase("bare boolean payload is the float 1", " true ", lines: "\(env) value=1 \(R)\n"),
        MappingCase("bare numeric string payload", #"" 23.5 ""#, lines: "\(env) value=23.5 \(R)\n"),
        MappingCase(
            "bare text payload is left out: no declaration makes value a string",
            #""hello""#,
            refused: .noFields,
            leftOut: 1
        ),
        MappingCase("bare null payload", "null", refused: .unsupportedPayload),
        MappingCase(
            "burst array: one point per element at its own epoch-ms time",
            #"[{"t": 20.5, "ts": 1704110400000}, {"t": 20.6, "ts": 1704110460000}, {"t": 20.7, "ts": 1704110520000}]"#,
            lines: "\(env) t=20.5 1704110400000000000\n\(env) t=20.6 1704110460000000000\n"
                + "\(env) t=20.7 1704110520000000000\n"
        ),
        MappingCase(
            "burst array elements without a time stay distinct points",
            #"[{"t": 1}, {"t": 2}]"#,
            lines: "\(env) t=1 \(R)\n\(env) t=2 \(R + 1)\n"
        ),
        MappingCase(
            "burst array: a bad element is refused, the others land",
            #"[{"t": 1, "ts": 1704110400}, "oops", {"t": 3, "ts": "soon"}, {"t": 4, "ts": 1704110401}]"#,
            lines: "\(env) t=1 1704110400000000000\n\(env) t=4 1704110401000000000\n",
            refusals: [MappingRefusal(.unsupportedPayload, element: 1), MappingRefusal(.invalidTimestamp, element: 2)]
        ),
        MappingCase(
            "burst array of IoTFlow shapes",
            #"[{"data": {"t": 1}, "type": "env", "ts": 1704110400}]"#,
            lines: "\(env),device_type=env t=1 1704110400000000000\n"
        ),
        MappingCase("empty array", "[]", refused: .noFields),
        MappingCase(
            "array of numbers",
            "[1, 2]",
            refused: .unsupportedPayload,
            refusals: [
                MappingRefusal(.unsupportedPayload, element: 0), MappingRefusal(.unsupportedPayload, element: 1),
            ]
        ),
        MappingCase(
            "whitespace around the document",
            " \n\t{\"t\" : 1 }\r\n",
            lines: "\(env) t=1 \(R)\n"
        ),
    ]
}
