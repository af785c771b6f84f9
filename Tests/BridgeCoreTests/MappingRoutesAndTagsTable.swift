// iotflow-bridge: the table's cases about routes, tags and keys: custom routes, topic and registry tags, escapes.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

private let R = receivedAt

extension MappingTable {
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
}
