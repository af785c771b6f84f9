// iotflow-bridge: the built binary's check-config and print-config.
// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(1)))
struct CommandLineTests {
    private func configFile(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("iotflow-cli-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func checkConfigNamesAllThreeMistakes() async throws {
        let file = try configFile(
            """
            mqtt:
              qos: 7
            influxdb:
              api: v4
              flush_interval: soon
            """
        )
        let (status, output) = try await runProgram(
            try Integration.product("iotflow-bridge"),
            ["check-config", "--config", file]
        )
        #expect(status == 1)
        #expect(output.contains("3 configuration problems"))
        for key in ["mqtt.qos", "influxdb.api", "influxdb.flush_interval"] {
            #expect(output.contains("  \(key): "), "\(key) not named in: \(output)")
        }
    }

    @Test func checkConfigAcceptsTheSampleFile() async throws {
        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("etc/iotflow-bridge.yaml").path
        let (status, output) = try await runProgram(
            try Integration.product("iotflow-bridge"),
            ["check-config", "-c", sample]
        )
        #expect(status == 0 && output.contains("configuration OK"), "\(output)")
    }

    @Test func printConfigShowsOverridesButNeverTheToken() async throws {
        let (status, output) = try await runProgram(
            try Integration.product("iotflow-bridge"),
            ["print-config"],
            environment: [
                "INFLUXDB_TOKEN": "tok-9f8e7d", "INFLUXDB_BATCH_SIZE": "1234", "INFLUXDB3_TOKEN": "v3-secret",
            ]
        )
        #expect(status == 0, "\(output)")
        #expect(output.contains("batch_size: 1234") && output.contains("token: \"<redacted>\""))
        #expect(!output.contains("tok-9f8e7d") && !output.contains("v3-secret"))
    }
}
