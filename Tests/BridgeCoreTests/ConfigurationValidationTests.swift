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
        configuration.mapping.routes = ["iotflow/devices/{device_id}"]
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        do {
            try configuration.validate()
        } catch {
            #expect(error.issues.map(\.key) == ["mqtt.qos", "mapping.routes", "influxdb.batch_size"])
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
            (
                "mqtt.session_expiry",
                { @Sendable (c: inout BridgeConfiguration) in c.mqtt.sessionExpiry = .seconds(3600) }
            ),
            (
                "mqtt.session_expiry",
                { @Sendable (c: inout BridgeConfiguration) in
                    c.mqtt.protocolVersion = .v5
                    c.mqtt.sessionExpiry = .zero
                }
            ),
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
            (
                "mapping.field_types",
                { @Sendable (c: inout BridgeConfiguration) in
                    c.influxdb.api = .v1
                    c.mapping.fieldTypes = ["packets:unsigned"]
                }
            ),
            ("mapping.field_types", { @Sendable (c: inout BridgeConfiguration) in c.mapping.fieldTypes = ["n:int"] }),
            (
                "mapping.field_types",
                { @Sendable (c: inout BridgeConfiguration) in c.mapping.fieldTypes = [":integer"] }
            ),
            ("mapping.routes", { @Sendable (c: inout BridgeConfiguration) in c.mapping.routes = [] }),
            (
                "mapping.routes",
                { @Sendable (c: inout BridgeConfiguration) in c.mapping.routes = ["a/{measurement} -> x"] }
            ),
            ("mapping.routes", { @Sendable (c: inout BridgeConfiguration) in c.mapping.routes = ["a/{_} -> "] }),
            (
                "mapping.routes",
                { @Sendable (c: inout BridgeConfiguration) in c.mqtt.topics = ["$share/g/iotflow/devices/+/status/+"] }
            ),
            ("mapping.max_past", { @Sendable (c: inout BridgeConfiguration) in c.mapping.maxPast = .zero }),
            ("mapping.max_future", { @Sendable (c: inout BridgeConfiguration) in c.mapping.maxFuture = .zero }),
            ("mapping.max_fields", { @Sendable (c: inout BridgeConfiguration) in c.mapping.maxFields = 0 }),
            ("mapping.max_depth", { @Sendable (c: inout BridgeConfiguration) in c.mapping.maxDepth = 33 }),
            ("mapping.max_key_bytes", { @Sendable (c: inout BridgeConfiguration) in c.mapping.maxKeyBytes = 0 }),
            (
                "mapping.max_string_bytes",
                { @Sendable (c: inout BridgeConfiguration) in c.mapping.maxStringBytes = 70_000 }
            ),
            ("mapping.max_field_types", { @Sendable (c: inout BridgeConfiguration) in c.mapping.maxFieldTypes = 0 }),
            ("mapping.device_registry", { @Sendable (c: inout BridgeConfiguration) in c.mapping.deviceRegistry = "" }),
            (
                "mqtt.tls.server_name",
                { @Sendable (c: inout BridgeConfiguration) in c.mqtt.tlsServerName = "broker.example" }
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

    @Test func aServerNameThatRepeatsTheHostIsValid() throws {
        var configuration = BridgeConfiguration()
        configuration.mqtt.tlsServerName = configuration.mqtt.host
        try configuration.validate()
    }

    @Test func aMemoryBufferAllowsACleanSession() throws {
        var configuration = BridgeConfiguration()
        configuration.buffer.durable = false
        configuration.mqtt.cleanSession = true
        configuration.buffer.path = ""
        try configuration.validate()
    }

    @Test func mqtt5SendsASessionExpiryThatNeverEndsUnlessBounded() throws {
        var configuration = BridgeConfiguration()
        configuration.mqtt.protocolVersion = .v5
        try configuration.validate()
        #expect(configuration.mqtt.sessionExpirySeconds == 0xFFFF_FFFF)
        configuration.mqtt.sessionExpiry = .seconds(7 * 86_400)
        try configuration.validate()
        #expect(configuration.mqtt.sessionExpirySeconds == 604_800)
        // Without the durable buffer a session that ends at disconnect is the operator's choice.
        configuration.buffer.durable = false
        configuration.mqtt.sessionExpiry = .zero
        try configuration.validate()
        #expect(configuration.mqtt.sessionExpirySeconds == 0)
    }

    @Test func routesCoverSharedSubscriptionsAndStatusTopics() throws {
        var configuration = BridgeConfiguration()
        configuration.influxdb.api = .v1
        configuration.mapping.fieldTypes = ["uptime_s:integer"]
        configuration.mqtt.topics = ["$share/bridges/iotflow/devices/+/telemetry/+", "iotflow/devices/+/status/#"]
        configuration.mapping.routes = [
            "iotflow/devices/{device_id}/telemetry/{measurement}",
            "iotflow/devices/{device_id}/status/{_} -> device_status",
        ]
        try configuration.validate()
    }

    @Test func fieldTypesTakeEveryLineProtocolType() throws {
        var configuration = BridgeConfiguration()
        configuration.mapping.fieldTypes = [
            "a:float", "b:integer", "c:unsigned", "d:string", "e:boolean", "f:g:string",
        ]
        try configuration.validate()
        let types = try configuration.mapping.parsedFieldTypes().get()
        #expect(types == ["a": .float, "b": .integer, "c": .unsigned, "d": .string, "e": .boolean, "f:g": .string])
    }

    @Test func secretsNeverPrint() {
        let secret = Secret("s3cr3t")
        #expect("\(secret)" == "<redacted>" && String(reflecting: secret) == "<redacted>")
        #expect(!"\(BridgeConfiguration(influxdb: InfluxConfiguration(token: secret)))".contains("s3cr3t"))
    }
}
