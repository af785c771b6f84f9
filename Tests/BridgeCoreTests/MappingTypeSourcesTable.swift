// iotflow-bridge: the table's cases about where a field's type comes from: declarations, the schema, the data.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

extension MappingTable {
    /// Where a field's type comes from: `field_types`, then InfluxDB's schema, then the data.
    static let typeSources: [MappingCase] = [
        MappingCase(
            "one device's text never types the field: it is left out, the rest lands",
            #"{"temperature": "hot", "humidity": 60}"#,
            lines: "\(env) humidity=60 \(receivedAt)\n",
            leftOut: 1
        ),
        MappingCase(
            "text alone leaves no field: the message is refused",
            #"{"temperature": "hot"}"#,
            refused: .noFields,
            leftOut: 1
        ),
        MappingCase(
            "after text and a boolean, numbers for the same fields are floats",
            #"{"temperature": 21.5, "on": false}"#,
            before: [#"{"temperature": "hot", "on": true}"#],
            lines: "\(env) temperature=21.5,on=0 \(receivedAt)\n"
        ),
        MappingCase(
            "a declared string field keeps text",
            #"{"state": "idle", "t": 1}"#,
            .declared,
            lines: "\(env) state=\"idle\",t=1 \(receivedAt)\n"
        ),
        MappingCase(
            "a declared string field takes numbers and booleans as their text",
            #"{"state": 5, "msg": true, "path": 1.5}"#,
            .declared,
            lines: "\(env) state=\"5\",msg=\"true\",path=\"1.5\" \(receivedAt)\n"
        ),
        MappingCase(
            "a declared string field keeps numeric text as sent",
            #"{"state": " 007 "}"#,
            .declared,
            lines: "\(env) state=\" 007 \" \(receivedAt)\n"
        ),
        MappingCase(
            "a declared boolean field keeps booleans",
            #"{"on": true}"#,
            .declared,
            lines: "\(env) on=true \(receivedAt)\n"
        ),
        MappingCase(
            "a declared boolean field refuses a number",
            #"{"on": 1, "t": 2}"#,
            .declared,
            lines: "\(env) t=2 \(receivedAt)\n",
            refusals: [field(.typeConflict, "on")]
        ),
        MappingCase(
            "a declared boolean field leaves text out",
            #"{"on": "yes", "t": 2}"#,
            .declared,
            lines: "\(env) t=2 \(receivedAt)\n",
            leftOut: 1
        ),
        MappingCase(
            "a declared float field takes booleans and numeric text",
            #"{"level": true, "t": "2.5"}"#,
            .declared,
            lines: "\(env) level=1,t=2.5 \(receivedAt)\n"
        ),
        MappingCase(
            "a declared integer field leaves text out",
            #"{"count": "many", "t": 1}"#,
            .integerCount,
            lines: "\(env) t=1 \(receivedAt)\n",
            leftOut: 1
        ),
        MappingCase(
            "string_policy drop: booleans are floats, text is skipped",
            #"{"ok": false, "s": "x"}"#,
            .stringsDropped,
            lines: "\(env) ok=0 \(receivedAt)\n",
            skipped: 1
        ),
        MappingCase(
            "string_policy tag: booleans are floats, text is a tag",
            #"{"ok": true, "s": "x"}"#,
            .stringsAsTags,
            lines: "\(env),s=x ok=1 \(receivedAt)\n"
        ),
        MappingCase(
            "string_policy field: booleans stay booleans, text is a string field",
            #"{"door_open": true, "status": "ok"}"#,
            .firstTypeWins,
            lines: "\(env) door_open=true,status=\"ok\" \(receivedAt)\n"
        ),
        MappingCase(
            "a string field in the schema takes numbers as their text",
            #"{"status": 3, "t": 1}"#,
            .schema,
            lines: "\(env) status=\"3\",t=1 \(receivedAt)\n"
        ),
        MappingCase(
            "a string field in the schema keeps text",
            #"{"status": "ok"}"#,
            .schema,
            lines: "\(env) status=\"ok\" \(receivedAt)\n"
        ),
        MappingCase(
            "an integer field in the schema takes whole numbers",
            #"{"count": 12}"#,
            .schema,
            lines: "\(env) count=12i \(receivedAt)\n"
        ),
        MappingCase(
            "an integer field in the schema refuses 1.5",
            #"{"count": 1.5, "t": 1}"#,
            .schema,
            lines: "\(env) t=1 \(receivedAt)\n",
            refusals: [field(.typeConflict, "count")]
        ),
        MappingCase(
            "a boolean field in the schema keeps booleans",
            #"{"on": false}"#,
            .schema,
            lines: "\(env) on=false \(receivedAt)\n"
        ),
        MappingCase(
            "the schema is per measurement: a float status elsewhere leaves text out",
            topic: "iotflow/devices/dev-1/telemetry/power",
            #"{"status": "ok", "v": 1}"#,
            .schema,
            lines: "power,device_id=dev-1 v=1 \(receivedAt)\n",
            leftOut: 1
        ),
    ]
}
