// iotflow-bridge: the cost of decode + map + encode per message, as the MQTT thread pays it.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

/// Maps the same message `count` times into a reused writer, as `MQTTIntake` does, and returns
/// nanoseconds per message (the best of three runs, to keep scheduler noise out).
func nanosecondsPerMessage(topic: String, payload payloadBytes: [UInt8], count: Int) -> Double {
    var mapper = PointMapper(configuration: MappingConfiguration())
    var writer = LineProtocolWriter()
    let topicBytes = Array(topic.utf8)
    var best = Double.infinity
    var checksum = 0
    for _ in 0..<3 {
        let start = ContinuousClock.now
        topicBytes.withUnsafeBytes { topic in
            payloadBytes.withUnsafeBytes { payload in
                for index in 0..<count {
                    writer.removeAll()
                    let receivedAt = 1_700_000_000_000_000_000 + Int64(index)
                    // The checksum keeps the optimiser from dropping the work; refusals count too.
                    switch mapper.map(topic: topic, payload: payload, receivedAt: receivedAt, into: &writer) {
                    case .mapped(let points, _): checksum &+= points &+ writer.bytes.count
                    case .refused(let reason): checksum &+= reason.rawValue &+ 1
                    }
                }
            }
        }
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        best = min(best, seconds * 1e9 / Double(count))
    }
    precondition(checksum != 0, "nothing was mapped")
    return best
}

let count = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 1_000_000
let topic = "iotflow/devices/dev-00042/telemetry/environment"
let cases = [
    ("flat object (4 fields)", #"{"temperature":24.5,"humidity":60,"battery_level":85,"seq":123456}"#),
    ("flat object + RFC 3339 time", #"{"temperature":25.5,"humidity":60.0,"timestamp":"2024-01-01T12:00:00Z"}"#),
    (
        "nested object (IoTFlow HTTP shape: data, type and metadata tags)",
        #"{"data":{"temperature":24.5,"humidity":60},"type":"environmental","metadata":{"location":"office"}}"#
    ),
    ("nested object (flattened env_t, env_h)", #"{"env":{"t":24.5,"h":60},"battery_level":85}"#),
]
/// Payloads a buggy or hostile device can send, each at the 64 KiB `max_payload_bytes`: what the
/// MQTT thread pays for them bounds how long one device can hold it.
func hostile(_ body: (Int) -> String, opening: String = "[", closing: String = "]") -> [UInt8] {
    var payload = Array(opening.utf8)
    var index = 0
    while true {
        let element = Array(((index == 0 ? "" : ",") + body(index)).utf8)
        guard payload.count + element.count + closing.utf8.count <= 65_536 else { break }
        payload += element
        index += 1
    }
    return payload + Array(closing.utf8)
}
/// The shape measured in issue 10: `[`, 4,000 tabs, then `1,1,1,…` to 64 KiB.
func tabsAndOnes() -> [UInt8] {
    var payload = Array("[".utf8) + [UInt8](repeating: 0x09, count: 4000)
    while payload.count < 65_530 { payload += Array("1,".utf8) }
    return payload + Array("1]".utf8)
}
let hostileCases: [(String, [UInt8])] = [
    ("64 KiB: [ + 4,000 tabs + 1,1,1,... (refused: too_many_points)", tabsAndOnes()),
    ("64 KiB: readings {\"v\":\"NaN\"} (refused: too_many_points)", hostile { _ in #"{"v":"NaN"}"# }),
    (
        "64 KiB: 1,000 readings of 5 fields (mapped)",
        Array(
            ("[" + (0..<1000).map { #"{"t":\#($0).5,"h":60,"p":1013.2,"b":85,"s":\#($0)}"# }.joined(separator: ",")
                + "]").utf8
        )
    ),
    (
        "64 KiB: one object, thousands of 1e999 values (refused: too_many_fields)",
        hostile({ "\"k\($0)\":1e999" }, opening: "{", closing: "}")
    ),
    (
        "64 KiB: one object, 250 keys repeated (duplicates shadowed)",
        hostile({ "\"k\($0 % 250)\":\($0)" }, opening: "{", closing: "}")
    ),
    (
        "64 KiB: a string of \\u0000 escapes (mapped as a long string, refused: string_too_long)",
        Array(("{\"s\":\"" + String(repeating: "\\u0000", count: 10_900) + "\"}").utf8)
    ),
    (
        "64 KiB: nesting 32 deep, repeated (refused: too_deep)",
        hostile({ _ in String(repeating: "[", count: 32) + String(repeating: "]", count: 32) })
    ),
]
var worst = (name: "", nanosecondsPerByte: 0.0)
for (name, payload) in cases.map({ ($0.0, Array($0.1.utf8)) }) + hostileCases {
    // About as many bytes for every case: a million flat messages, or ~1,000 of 64 KiB.
    let iterations = max(200, count * 64 / max(payload.count, 64))
    let nanoseconds = nanosecondsPerMessage(topic: topic, payload: payload, count: iterations)
    let perByte = (nanoseconds / Double(payload.count) * 100).rounded() / 100
    print("mapping \(name): \(Int(nanoseconds.rounded())) ns/message, \(perByte) ns/byte (\(payload.count) bytes)")
    if payload.count > 1024 && perByte > worst.nanosecondsPerByte { worst = (name, perByte) }
}
print("mapping worst 64 KiB shape: \(worst.name), \(worst.nanosecondsPerByte) ns/byte")

/// What the MQTT thread adds per message for `/devices`: `DeviceTable.record` for a device
/// already known (the ids cycle through `devices`, as a fleet's interleaved messages do); the
/// lock around it (`DeviceTracker`, uncontended) is not in the figure. Best of three runs.
func deviceTableNanoseconds(devices: Int, count: Int) -> Double {
    let ids = (0..<devices).map { Array("dev-\(String(1_000_000 + $0).dropFirst())".utf8) }
    var table = DeviceTable(capacity: devices)
    var best = Double.infinity
    for _ in 0..<3 {
        let start = ContinuousClock.now
        for index in 0..<count {
            ids[index % devices].withUnsafeBytes { table.record(deviceBytes: $0, at: Int64(index)) }
        }
        let elapsed = start.duration(to: .now)
        best = min(
            best,
            (Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) * 1e-9) / Double(count)
        )
    }
    precondition(table.count == devices, "the table lost devices")
    return best
}
print(
    "device table, \(10_000) known devices: \(Int(deviceTableNanoseconds(devices: 10_000, count: count).rounded())) ns/message"
)
