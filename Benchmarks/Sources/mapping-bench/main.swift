// iotflow-bridge: the cost of decode + map + encode per message, as the MQTT thread pays it.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

/// Maps the same message `count` times into a reused writer, as `MQTTIntake` does, and returns
/// nanoseconds per message (the best of three runs, to keep scheduler noise out).
func nanosecondsPerMessage(topic: String, payload: String, count: Int) -> Double {
    var mapper = PointMapper(configuration: MappingConfiguration())
    var writer = LineProtocolWriter()
    let topicBytes = Array(topic.utf8)
    let payloadBytes = Array(payload.utf8)
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
for (name, payload) in cases {
    let nanoseconds = nanosecondsPerMessage(topic: topic, payload: payload, count: count)
    let perSecond = 1e9 / nanoseconds
    print(
        "mapping \(name): \(Int(nanoseconds.rounded())) ns/message (\(Int(perSecond / 1000))k messages/s on one core)"
    )
}
