// iotflow-bridge: the table of payload cases: topic + payload + configuration → exact line protocol.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import Testing

/// The intake time: 2024-01-01T12:30:00Z, half an hour after the seed example's device time.
let receivedAt: Int64 = 1_704_112_200_000_000_000
let defaultTopic = "iotflow/devices/dev-1/telemetry/environment"
private let R = receivedAt

/// A configuration the table runs a case under.
enum Variant: String, Sendable {
    case defaults, integerCount, unsignedCount, stringsDropped, stringsAsTags, rejectOutOfRange, keepOutOfRange
    case statusRoute, topicTag, registry, tightLimits, firstTypeWins, declared, schema

    var configuration: MappingConfiguration {
        var configuration = MappingConfiguration()
        switch self {
        case .defaults, .registry, .schema: break
        case .integerCount: configuration.fieldTypes = ["count:integer"]
        case .unsignedCount: configuration.fieldTypes = ["count:unsigned"]
        case .stringsDropped: configuration.stringPolicy = .drop
        case .stringsAsTags: configuration.stringPolicy = .tag
        case .rejectOutOfRange: configuration.timestampPolicy = .reject
        case .keepOutOfRange: configuration.timestampPolicy = .keep
        case .statusRoute: configuration.routes.append("iotflow/devices/{device_id}/status/{_} -> device_status")
        case .topicTag: configuration.topicTag = true
        case .firstTypeWins: configuration.stringPolicy = .field
        case .declared:
            configuration.fieldTypes = [
                "state:string", "msg:string", "path:string", "on:boolean", "level:float", "watts:integer",
            ]
        case .tightLimits:
            configuration.fieldTypes = ["s:string"]
            configuration.maxDepth = 2
            configuration.maxKeyBytes = 8
            configuration.maxStringBytes = 4
            configuration.maxFields = 2
            configuration.maxPayloadBytes = 48
        }
        return configuration
    }

    /// The field types InfluxDB holds, for `.schema`: in `environment`, `status` is a string,
    /// `count` an integer, `on` a boolean; in `power`, `status` is a float.
    var schema: FieldSchema? {
        guard self == .schema else { return nil }
        var schema = FieldSchema()
        schema.add(.string, measurement: "environment", field: "status")
        schema.add(.integer, measurement: "environment", field: "count")
        schema.add(.boolean, measurement: "environment", field: "on")
        schema.add(.float, measurement: "power", field: "status")
        return schema
    }

    var deviceRegistry: DeviceRegistry {
        guard self == .registry else { return DeviceRegistry() }
        return DeviceRegistry(devices: [
            "dev-1": [
                .init(key: "device_name", value: "Boiler room"), .init(key: "location", value: "basement"),
            ]
        ])
    }
}

/// One row: what the device sends, under which configuration, and exactly what comes out.
struct MappingCase: CustomTestStringConvertible, Sendable {
    var name: String
    var topic = defaultTopic
    var payload: String
    var variant = Variant.defaults
    /// Messages mapped first on the same mapper (same topic), to set up the type registry.
    var before: [String] = []
    /// The exact line protocol, or nil when the message is refused.
    var lines: String?
    /// The whole-message refusal reason, when `lines` is nil.
    var refused: RefusalReason?
    /// Values or elements refused on their own.
    var refusals: [MappingRefusal] = []
    var skipped = 0
    var replaced = 0
    /// Untyped text left out under `string_policy: declared`.
    var leftOut = 0

    var testDescription: String { name }

    init(
        _ name: String,
        topic: String = defaultTopic,
        _ payload: String,
        _ variant: Variant = .defaults,
        before: [String] = [],
        lines: String? = nil,
        refused: RefusalReason? = nil,
        refusals: [MappingRefusal] = [],
        skipped: Int = 0,
        replaced: Int = 0,
        leftOut: Int = 0
    ) {
        self.name = name
        self.topic = topic
        self.payload = payload
        self.variant = variant
        self.before = before
        self.lines = lines
        self.refused = refused
        self.refusals = refusals
        self.skipped = skipped
        self.replaced = replaced
        self.leftOut = leftOut
    }
}

/// A refusal of one value.
func field(_ reason: RefusalReason, _ key: String, element: Int? = nil) -> MappingRefusal {
    MappingRefusal(reason, field: key, element: element)
}

/// The start of every line for the default topic.
let env = "environment,device_id=dev-1"

enum MappingTable {
    // New cases go at the end: a case's index names its fuzzing seed (Fuzz/Seeds/table-NNN).
    static let cases: [MappingCase] = shapes + timestamps + types + routesAndTags + refusals + typeSources

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

    static let timestamps: [MappingCase] = [
        MappingCase(
            "epoch seconds from WiFi.getTime()",
            #"{"temperature": 25.1, "timestamp": 1704110400}"#,
            lines: "\(env) temperature=25.1 1704110400000000000\n"
        ),
        MappingCase(
            "epoch milliseconds",
            #"{"t": 1, "timestamp": 1704110400123}"#,
            lines: "\(env) t=1 1704110400123000000\n"
        ),
        MappingCase(
            "epoch microseconds",
            #"{"t": 1, "ts": 1704110400123456}"#,
            lines: "\(env) t=1 1704110400123456000\n"
        ),
        MappingCase(
            "epoch nanoseconds keep all 19 digits",
            #"{"t": 1, "time": 1704110400123456789}"#,
            lines: "\(env) t=1 1704110400123456789\n"
        ),
        MappingCase(
            "fractional epoch seconds",
            #"{"t": 1, "timestamp": 1704110400.5}"#,
            lines: "\(env) t=1 1704110400500000000\n"
        ),
        MappingCase(
            "epoch seconds as text",
            #"{"t": 1, "timestamp": "1704110400"}"#,
            lines: "\(env) t=1 1704110400000000000\n"
        ),
        MappingCase(
            "epoch milliseconds as text with spaces",
            #"{"t": 1, "timestamp": " 1704110400123 "}"#,
            lines: "\(env) t=1 1704110400123000000\n"
        ),
        MappingCase(
            "RFC 3339 with offset and nanoseconds",
            #"{"t": 1, "timestamp": "2024-01-01T14:00:00.123456789+02:00"}"#,
            lines: "\(env) t=1 1704110400123456789\n"
        ),
        MappingCase(
            "RFC 3339 with a negative offset",
            #"{"t": 1, "timestamp": "2024-01-01T07:00:00-05:00"}"#,
            lines: "\(env) t=1 1704110400000000000\n"
        ),
        MappingCase(
            "RFC 3339 with a tenth of a second",
            #"{"t": 1, "timestamp": "2024-01-01T12:00:00.5Z"}"#,
            lines: "\(env) t=1 1704110400500000000\n"
        ),
        MappingCase(
            "ISO 8601 with a space and lowercase z",
            #"{"t": 1, "timestamp": "2024-01-01 12:00:00z"}"#,
            lines: "\(env) t=1 1704110400000000000\n"
        ),
        MappingCase(
            "fraction digits beyond nanoseconds are truncated",
            #"{"t": 1, "timestamp": "2024-01-01T12:00:00.1234567899Z"}"#,
            lines: "\(env) t=1 1704110400123456789\n"
        ),
        MappingCase(
            "the last timestamp key present wins",
            #"{"t": 1, "time": 1704110400, "ts": 1704110460}"#,
            lines: "\(env) t=1 1704110460000000000\n"
        ),
        MappingCase(
            "a device without a clock (1970) gets the receive time",
            #"{"t": 1, "timestamp": 12345}"#,
            lines: "\(env) t=1 \(R)\n",
            replaced: 1
        ),
        MappingCase(
            "a time beyond max_future gets the receive time",
            #"{"t": 1, "timestamp": "2024-01-01T14:00:00Z"}"#,
            lines: "\(env) t=1 \(R)\n",
            replaced: 1
        ),
        MappingCase(
            "a time just inside max_future is kept",
            #"{"t": 1, "timestamp": "2024-01-01T13:29:59Z"}"#,
            lines: "\(env) t=1 1704115799000000000\n"
        ),
        MappingCase(
            "out-of-range times in a burst get distinct receive times",
            #"[{"t": 1, "ts": 1}, {"t": 2, "ts": 2}]"#,
            lines: "\(env) t=1 \(R)\n\(env) t=2 \(R + 1)\n",
            replaced: 2
        ),
        MappingCase(
            "timestamp_policy reject refuses an out-of-range time",
            #"{"t": 1, "timestamp": 12345}"#,
            .rejectOutOfRange,
            refused: .timestampOutOfRange
        ),
        MappingCase(
            "timestamp_policy keep keeps a 1970 time",
            #"{"t": 1, "timestamp": 12345}"#,
            .keepOutOfRange,
            lines: "\(env) t=1 12345000000000\n"
        ),
        MappingCase("unreadable timestamp", #"{"t": 1, "timestamp": "yesterday"}"#, refused: .invalidTimestamp),
        MappingCase(
            "impossible date",
            #"{"t": 1, "timestamp": "2024-02-30T00:00:00Z"}"#,
            refused: .invalidTimestamp
        ),
        MappingCase(
            "a time without a zone is ambiguous",
            #"{"t": 1, "timestamp": "2024-01-01T12:00:00"}"#,
            refused: .invalidTimestamp
        ),
        MappingCase("a boolean timestamp", #"{"t": 1, "timestamp": true}"#, refused: .invalidTimestamp),
        MappingCase(
            "a time beyond 2262 cannot be a line-protocol timestamp",
            #"{"t": 1, "timestamp": "3000-01-01T00:00:00Z"}"#,
            refused: .invalidTimestamp
        ),
    ]

    static let types: [MappingCase] = [
        MappingCase(
            "booleans are the floats 1 and 0",
            #"{"door_open": true, "alarm": false}"#,
            lines: "\(env) door_open=1,alarm=0 \(R)\n"
        ),
        MappingCase(
            "negative and exponent numbers",
            #"{"a": -12, "b": 1.5e3, "c": -2.5E-3}"#,
            lines: "\(env) a=-12,b=1500,c=-0.0025 \(R)\n"
        ),
        MappingCase(
            "integers beyond 2^53 keep their nearest double",
            #"{"big": 9007199254740993}"#,
            lines: "\(env) big=9007199254740992.0 \(R)\n"
        ),
        MappingCase(
            "numeric strings are floats",
            #"{"a": "23.5", "b": " 23.5 ", "c": "-1e3", "d": "51"}"#,
            lines: "\(env) a=23.5,b=23.5,c=-1000,d=51 \(R)\n"
        ),
        MappingCase(
            "other strings are left out and counted when nothing declares them",
            #"{"status": "ok", "t": 1, "flag": "true"}"#,
            lines: "\(env) t=1 \(R)\n",
            leftOut: 2
        ),
        MappingCase(
            "string values: quotes and backslashes escaped, control characters become spaces",
            #"{"msg": "a \"q\" \\ b\nc\td\r\u0000e"}"#,
            .declared,
            lines: "\(env) msg=\"a \\\"q\\\" \\\\ b c d  e\" \(R)\n"
        ),
        MappingCase(
            "a string ending in a backslash stays inside its quotes",
            #"{"path": "C:\\", "t": 1}"#,
            .declared,
            lines: "\(env) path=\"C:\\\\\",t=1 \(R)\n"
        ),
        MappingCase(
            "string_policy drop leaves strings out",
            #"{"status": "ok", "t": 1}"#,
            .stringsDropped,
            lines: "\(env) t=1 \(R)\n",
            skipped: 1
        ),
        MappingCase(
            "string_policy tag makes strings tags",
            #"{"status": "ok go", "t": 1}"#,
            .stringsAsTags,
            lines: "\(env),status=ok\\ go t=1 \(R)\n"
        ),
        MappingCase(
            "string_policy tag: numeric strings are still numbers",
            #"{"status": "ok", "t": "1.5"}"#,
            .stringsAsTags,
            lines: "\(env),status=ok t=1.5 \(R)\n"
        ),
        MappingCase(
            "a null is no field",
            #"{"a": null, "b": 1}"#,
            lines: "\(env) b=1 \(R)\n",
            skipped: 1
        ),
        MappingCase(
            "a non-finite number is refused, the rest lands",
            #"{"a": 1e999, "b": 2}"#,
            lines: "\(env) b=2 \(R)\n",
            refusals: [field(.nonFinite, "a")]
        ),
        MappingCase(
            "NaN and infinity as text are refused",
            #"{"a": "NaN", "b": "-Infinity", "c": " inf ", "d": 4}"#,
            lines: "\(env) d=4 \(R)\n",
            refusals: [field(.nonFinite, "a"), field(.nonFinite, "b"), field(.nonFinite, "c")]
        ),
        MappingCase(
            "only a non-finite value: the message is refused",
            #"{"a": "inf"}"#,
            refused: .nonFinite,
            refusals: [field(.nonFinite, "a")]
        ),
        MappingCase("bare 1e999", "1e999", refused: .nonFinite, refusals: [field(.nonFinite, "value")]),
        MappingCase(
            "integer override writes i",
            #"{"count": 42, "t": 1}"#,
            .integerCount,
            lines: "\(env) count=42i,t=1 \(R)\n"
        ),
        MappingCase(
            "integer override takes 42.0 and \"42\" losslessly",
            #"[{"count": 42.0, "ts": 1704110400}, {"count": "43", "ts": 1704110401}]"#,
            .integerCount,
            lines: "\(env) count=42i 1704110400000000000\n\(env) count=43i 1704110401000000000\n"
        ),
        MappingCase(
            "integer override refuses 1.5",
            #"{"count": 1.5, "t": 1}"#,
            .integerCount,
            lines: "\(env) t=1 \(R)\n",
            refusals: [field(.typeConflict, "count")]
        ),
        MappingCase(
            "unsigned override writes u",
            #"{"count": 7}"#,
            .unsignedCount,
            lines: "\(env) count=7u \(R)\n"
        ),
        MappingCase(
            "unsigned override refuses a negative number",
            #"{"count": -1}"#,
            .unsignedCount,
            refused: .typeConflict,
            refusals: [field(.typeConflict, "count")]
        ),
        MappingCase(
            "first type wins: a float field takes a numeric string",
            #"{"watts": "51"}"#,
            .firstTypeWins,
            before: [#"{"watts": 50}"#, #"{"watts": 50.5}"#],
            lines: "\(env) watts=51 \(R)\n"
        ),
        MappingCase(
            "first type wins: a float field takes a boolean as 1",
            #"{"watts": true}"#,
            .firstTypeWins,
            before: [#"{"watts": 50}"#],
            lines: "\(env) watts=1 \(R)\n"
        ),
        MappingCase(
            "first type wins: a float field refuses text",
            #"{"watts": "n/a"}"#,
            .firstTypeWins,
            before: [#"{"watts": 50}"#],
            refused: .typeConflict,
            refusals: [field(.typeConflict, "watts")]
        ),
        MappingCase(
            "a declared integer field refuses a boolean, the other fields land",
            #"{"watts": true, "volts": 230}"#,
            .declared,
            lines: "\(env) volts=230 \(R)\n",
            refusals: [field(.typeConflict, "watts")]
        ),
        MappingCase(
            "first type wins: a boolean field refuses a number",
            #"{"on": 1}"#,
            .firstTypeWins,
            before: [#"{"on": true}"#],
            refused: .typeConflict,
            refusals: [field(.typeConflict, "on")]
        ),
        MappingCase(
            "first type wins: a string field refuses a number",
            #"{"state": 5}"#,
            .firstTypeWins,
            before: [#"{"state": "idle"}"#],
            refused: .typeConflict,
            refusals: [field(.typeConflict, "state")]
        ),
        MappingCase(
            "type registry: an integer field takes a whole float",
            #"{"count": 8.0}"#,
            .integerCount,
            before: [#"{"count": 7}"#],
            lines: "\(env) count=8i \(R)\n"
        ),
    ]

    static let routesAndTags: [MappingCase] = [
        MappingCase(
            "a route with a fixed measurement",
            topic: "iotflow/devices/dev-1/status/online",
            #"{"online": true, "rssi": -70}"#,
            .statusRoute,
            lines: "device_status,device_id=dev-1 online=1,rssi=-70 \(R)\n"
        ),
        MappingCase(
            "the first route is still tried first",
            #"{"t": 1}"#,
            .statusRoute,
            lines: "\(env) t=1 \(R)\n"
        ),
        MappingCase(
            "topic_tag adds the whole topic",
            #"{"t": 1}"#,
            .topicTag,
            lines: "\(env),topic=iotflow/devices/dev-1/telemetry/environment t=1 \(R)\n"
        ),
        MappingCase(
            "device registry tags are added, escaped",
            #"{"t": 1}"#,
            .registry,
            lines: "\(env),device_name=Boiler\\ room,location=basement t=1 \(R)\n"
        ),
        MappingCase(
            "a registry tag wins over the payload's metadata",
            #"{"data": {"t": 1}, "metadata": {"location": "office", "rack": "r1"}}"#,
            .registry,
            lines: "\(env),device_name=Boiler\\ room,location=basement,rack=r1 t=1 \(R)\n",
            skipped: 1
        ),
        MappingCase(
            "a device not in the registry gets no registry tags",
            topic: "iotflow/devices/dev-2/telemetry/environment",
            #"{"t": 1}"#,
            .registry,
            lines: "environment,device_id=dev-2 t=1 \(R)\n"
        ),
        MappingCase(
            "a payload device_id never overrides the topic's",
            #"{"t": 1, "device_id": "other"}"#,
            lines: "\(env) t=1 \(R)\n",
            leftOut: 1
        ),
        MappingCase(
            "a numeric device_id key is not written over the tag",
            #"{"t": 1, "device_id": 5}"#,
            lines: "\(env) t=1 \(R)\n",
            skipped: 1
        ),
        MappingCase(
            "keys needing escapes",
            #"{"temp c": 1, "a,b": 2, "x=y": 3, "q\"": 4}"#,
            lines: "\(env) temp\\ c=1,a\\,b=2,x\\=y=3,q_=4 \(R)\n"
        ),
        MappingCase(
            "keys with control characters and backslashes cannot inject",
            #"{"a\nenvironment,device_id=evil b": 1, "c\\": 2}"#,
            lines: "\(env) a_environment\\,device_id\\=evil\\ b=1,c_=2 \(R)\n"
        ),
        MappingCase(
            "keys that become the same key on the wire: the last wins",
            #"{"a\n": 1, "a\t": 2}"#,
            lines: "\(env) a_=2 \(R)\n"
        ),
        MappingCase(
            "duplicate keys: the last wins",
            #"{"a": 1, "a": 2}"#,
            lines: "\(env) a=2 \(R)\n"
        ),
        MappingCase(
            "unicode keys and escapes",
            #"{"température": 21, "\u00e9t\u00e9": 1, "\ud83d\ude00": 2}"#,
            lines: "\(env) température=21,été=1,😀=2 \(R)\n"
        ),
        MappingCase(
            "hostile measurement and device id are escaped",
            topic: "iotflow/devices/dev 1,x=y/telemetry/env,m",
            #"{"t": 1}"#,
            lines: "env\\,m,device_id=dev\\ 1\\,x\\=y t=1 \(R)\n"
        ),
        MappingCase(
            "a measurement starting with # is not a comment",
            topic: "iotflow/devices/dev-1/telemetry/#m",
            #"{"t": 1}"#,
            lines: "_m,device_id=dev-1 t=1 \(R)\n"
        ),
        MappingCase(
            "a 128-byte device id is accepted",
            topic: "iotflow/devices/\(String(repeating: "d", count: 128))/telemetry/m",
            #"{"t": 1}"#,
            lines: "m,device_id=\(String(repeating: "d", count: 128)) t=1 \(R)\n"
        ),
    ]

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

/// Maps `payload` on `topic` with `mapper`, returning the result and the text written.
func mapMessage(
    _ mapper: inout PointMapper,
    topic: String,
    payload: String,
    receivedAt: Int64 = receivedAt
) -> (MappingResult, String) {
    var writer = LineProtocolWriter()
    let result = Array(topic.utf8).withUnsafeBytes { topicBytes in
        Array(payload.utf8).withUnsafeBytes { payloadBytes in
            mapper.map(topic: topicBytes, payload: payloadBytes, receivedAt: receivedAt, into: &writer)
        }
    }
    return (result, String(decoding: writer.bytes, as: UTF8.self))
}

@Suite struct MappingTableTests {
    @Test func tableCoversAtLeastSixtyCases() {
        #expect(MappingTable.cases.count >= 60)
        #expect(Set(MappingTable.cases.map(\.name)).count == MappingTable.cases.count, "case names are unique")
    }

    @Test(arguments: MappingTable.cases)
    func mapsExactly(_ example: MappingCase) {
        var mapper = PointMapper(
            configuration: example.variant.configuration,
            deviceRegistry: example.variant.deviceRegistry
        )
        if let schema = example.variant.schema { mapper.useSchema(schema) }
        for earlier in example.before {
            let (result, _) = mapMessage(&mapper, topic: example.topic, payload: earlier)
            #expect(result == .mapped(points: 1, skippedFields: 0), "setting up with \(earlier)")
        }
        let (result, lines) = mapMessage(&mapper, topic: example.topic, payload: example.payload)
        if let expected = example.lines {
            let points = expected.filter { $0 == "\n" }.count
            #expect(result == .mapped(points: points, skippedFields: example.skipped))
            #expect(lines == expected)
            #expect(LineProtocolParser.parse(lines)?.count == points, "the reference parser reads it back")
        } else {
            #expect(result == .refused(example.refused ?? .noFields))
            #expect(lines.isEmpty)
        }
        #expect(mapper.refusals == example.refusals)
        #expect(mapper.timestampsReplaced == example.replaced)
        #expect(mapper.stringsLeftOut.count == example.leftOut)
    }

    /// Every payload in the table is a fuzzing seed (`topic 0x00 payload`, as the fuzz target reads
    /// them). Run with `IOTFLOW_UPDATE_FUZZ_SEEDS=1` to write them after changing the table.
    @Test func everyCaseIsAFuzzSeed() throws {
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Seeds")
        let update = ProcessInfo.processInfo.environment["IOTFLOW_UPDATE_FUZZ_SEEDS"] != nil
        for (index, example) in MappingTable.cases.enumerated() {
            let url = seeds.appendingPathComponent(String(format: "table-%03d", index))
            let seed = Data(Array(example.topic.utf8) + [0] + Array(example.payload.utf8))
            if update { try seed.write(to: url) }
            #expect(FileManager.default.contents(atPath: url.path) == seed, "\(url.lastPathComponent): \(example.name)")
        }
    }
}
