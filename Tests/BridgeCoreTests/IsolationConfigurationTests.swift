// iotflow-bridge: the configuration rules that keep one message's cost and QoS honest.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct IsolationConfigurationTests {
    private func keys(_ change: (inout BridgeConfiguration) -> Void) -> [String] {
        var configuration = BridgeConfiguration()
        change(&configuration)
        do {
            try configuration.validate()
            return []
        } catch {
            return error.issues.map(\.key)
        }
    }

    @Test func qos2IsRefusedWithTheDurableBufferAndQoS0DrawsAWarning() {
        #expect(keys { $0.mqtt.qos = 2 } == ["mqtt.qos"])
        #expect(
            keys {
                $0.mqtt.qos = 2
                $0.buffer.durable = false
            }.isEmpty
        )
        var qos0 = BridgeConfiguration()
        qos0.mqtt.qos = 0
        #expect(keys { $0.mqtt.qos = 0 }.isEmpty)
        #expect(qos0.warnings.map(\.key) == ["mqtt.qos"])
        #expect(BridgeConfiguration().warnings.isEmpty)
    }

    @Test func aLargestMessageMustFitTheBuffer() {
        #expect(keys { $0.mapping.maxEncodedBytes = 32 * 1024 * 1024 }.contains("buffer.max_bytes"))
        #expect(keys { $0.mapping.maxEncodedBytes = 512 } == ["mapping.max_encoded_bytes"])
        #expect(keys { $0.mapping.maxPointsPerMessage = 0 } == ["mapping.max_points_per_message"])
    }

    @Test func refusedMessagesGetTheirOwnFile() {
        let defaults = DeadLetterConfiguration()
        #expect(defaults.resolvedRefusedPath == "/var/lib/iotflow-bridge/dead-letters.refused.jsonl")
        #expect(DeadLetterConfiguration(path: "/x/dl").resolvedRefusedPath == "/x/dl.refused")
        #expect(keys { $0.deadLetters.refusedPath = $0.deadLetters.path } == ["dead_letters.refused_path"])
        #expect(keys { $0.deadLetters.refusedMaxBytes = 100_000 } == ["dead_letters.refused_max_bytes"])
    }
}
