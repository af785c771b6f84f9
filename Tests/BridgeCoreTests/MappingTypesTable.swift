// iotflow-bridge: the table's cases about field types: numbers, strings, non-finite values, overrides, first type wins.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

private let R = receivedAt

extension MappingTable {
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
}
