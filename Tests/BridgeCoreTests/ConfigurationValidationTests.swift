// iotflow-bridge: every configuration rule names its key, and all problems come at once.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct ConfigurationValidationTests {
    @Test func defaultsAreValid() throws {
        try BridgeConfiguration().validate()
    }

    @Test func reportsEveryProblemNamingTheKey() {
        var configuration = BridgeConfiguration()
        configuration.mqtt.qos = 3
        configuration.influxdb.batchSize = 0
        configuration.mapping.topicTemplate = "iotflow/devices/{device_id}"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        do {
            try configuration.validate()
        } catch {
            #expect(error.issues.map(\.key) == ["mqtt.qos", "mapping.topic_template", "influxdb.batch_size"])
            #expect(error.issues[0].message == "must be 0, 1 or 2")
        }
    }

    @Test(
        arguments: [
            ("mqtt.client_id", { @Sendable (c: inout BridgeConfiguration) in c.mqtt.clientID = "" }),
            ("mqtt.username", { @Sendable (c: inout BridgeConfiguration) in c.mqtt.password = Secret("p") }),
            ("mqtt.topics", { @Sendable (c: inout BridgeConfiguration) in c.mqtt.topics = ["a/#/b"] }),
            ("mqtt.keepalive", { @Sendable (c: inout BridgeConfiguration) in c.mqtt.keepalive = .seconds(1) }),
            (
                "mqtt.reconnect_max",
                { @Sendable (c: inout BridgeConfiguration) in c.mqtt.reconnectMax = .milliseconds(500) }
            ),
            ("influxdb.url", { @Sendable (c: inout BridgeConfiguration) in c.influxdb.url = "ftp://x" }),
            ("influxdb.bucket", { @Sendable (c: inout BridgeConfiguration) in c.influxdb.bucket = "" }),
            (
                "influxdb.database",
                { @Sendable (c: inout BridgeConfiguration) in
                    c.influxdb.api = .v3
                    c.influxdb.database = ""
                }
            ),
            (
                "influxdb.flush_interval",
                { @Sendable (c: inout BridgeConfiguration) in c.influxdb.flushInterval = .milliseconds(10) }
            ),
            ("buffer.max_bytes", { @Sendable (c: inout BridgeConfiguration) in c.buffer.maxBytes = 4 * 1024 * 1024 }),
            ("mqtt.clean_session", { @Sendable (c: inout BridgeConfiguration) in c.mqtt.cleanSession = true }),
            ("buffer.max_disk_bytes", { @Sendable (c: inout BridgeConfiguration) in c.buffer.maxDiskBytes = 4096 }),
            ("buffer.path", { @Sendable (c: inout BridgeConfiguration) in c.buffer.path = "" }),
            (
                "buffer.fsync_interval",
                { @Sendable (c: inout BridgeConfiguration) in c.buffer.fsyncInterval = .milliseconds(1) }
            ),
            (
                "mapping.max_payload_bytes",
                { @Sendable (c: inout BridgeConfiguration) in c.mapping.maxPayloadBytes = 0 }
            ),
        ] as [(String, @Sendable (inout BridgeConfiguration) -> Void)]
    )
    func refusesInvalidValue(key: String, change: @Sendable (inout BridgeConfiguration) -> Void) {
        var configuration = BridgeConfiguration()
        change(&configuration)
        do {
            try configuration.validate()
            Issue.record("\(key) was accepted")
        } catch {
            #expect(error.issues.map(\.key).contains(key), "\(error)")
        }
    }

    @Test func aMemoryBufferAllowsACleanSession() throws {
        var configuration = BridgeConfiguration()
        configuration.buffer.durable = false
        configuration.mqtt.cleanSession = true
        configuration.buffer.path = ""
        try configuration.validate()
    }

    @Test func secretsNeverPrint() {
        let secret = Secret("s3cr3t")
        #expect("\(secret)" == "<redacted>" && String(reflecting: secret) == "<redacted>")
        #expect(!"\(BridgeConfiguration(influxdb: InfluxConfiguration(token: secret)))".contains("s3cr3t"))
    }
}
