// iotflow-bridge: what a reload applies and what it names as needing a restart, key by key.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct ConfigurationReloadTests {
    private static let running = BridgeConfiguration(
        influxdb: InfluxConfiguration(batchSize: 1000, maxBatchBytes: 1024 * 1024),
        buffer: BufferConfiguration(maxBytes: 8 * 1024 * 1024)
    )

    private static func reload(
        _ change: (inout BridgeConfiguration) -> Void
    ) throws(ConfigurationError) -> ConfigurationReload {
        var reloaded = running
        change(&reloaded)
        return try ConfigurationReload(running: running, reloaded: reloaded)
    }

    @Test func theBatchingKeysAreAppliedAndNamed() throws {
        let change = try Self.reload {
            $0.influxdb.batchSize = 25
            $0.influxdb.maxBatchBytes = 2048
            $0.influxdb.flushInterval = .seconds(2)
            $0.influxdb.flushJitter = .zero
        }
        #expect(
            change.appliedKeys == [
                "influxdb.batch_size", "influxdb.max_batch_bytes", "influxdb.flush_interval", "influxdb.flush_jitter",
            ]
        )
        #expect(change.restartKeys.isEmpty)
        #expect(change.configuration.influxdb.batchSize == 25 && change.configuration.influxdb.maxBatchBytes == 2048)
        #expect(change.configuration.influxdb.flushInterval == .seconds(2))
    }

    @Test func theConnectionKeysAreAppliedAndNamed() throws {
        let change = try Self.reload {
            $0.influxdb.url = "http://other:8086"
            $0.influxdb.token = Secret("new")
            $0.influxdb.timeout = .seconds(20)
        }
        #expect(change.appliedKeys == ["influxdb.url", "influxdb.token", "influxdb.timeout"])
        #expect(change.restartKeys.isEmpty && change.configuration.influxdb.url == "http://other:8086")
    }

    @Test(
        arguments: [
            ("mqtt.host", { @Sendable (c: inout BridgeConfiguration) in c.mqtt.host = "elsewhere" }),
            ("mapping.max_fields", { $0.mapping.maxFields = 17 }),
            ("mapping.device_registry", { $0.mapping.deviceRegistry = "/etc/devices.yaml" }),
            ("retry.initial", { $0.retry.initial = .seconds(2) }),
            ("breaker.failures", { $0.breaker.failures = 7 }),
            ("delivery.max_settle_time", { $0.delivery.maxSettleTime = .seconds(5) }),
            ("dead_letters.max_files", { $0.deadLetters.maxFiles = 9 }),
            ("buffer.fsync", { $0.buffer.fsync = .off }),
            ("logging.level", { $0.logging.level = .debug }),
            ("shutdown.drain", { $0.shutdown.drain = .seconds(3) }),
        ] as [(String, @Sendable (inout BridgeConfiguration) -> Void)]
    )
    func aKeyOutsideInfluxDBIsNamedAsNeedingARestartAndKeepsItsRunningValue(
        key: String,
        change: @Sendable (inout BridgeConfiguration) -> Void
    ) throws {
        let reload = try Self.reload {
            change(&$0)
            $0.influxdb.batchSize = 10
        }
        #expect(reload.restartKeys == [key])
        #expect(reload.appliedKeys == ["influxdb.batch_size"])
        var expected = Self.running
        expected.influxdb.batchSize = 10
        #expect(reload.configuration == expected, "only the influxdb section changes while running")
    }

    @Test func nothingChangedNamesNothing() throws {
        let change = try Self.reload { _ in }
        #expect(change.appliedKeys.isEmpty && change.restartKeys.isEmpty && change.configuration == Self.running)
    }

    @Test func aBatchTooLargeForTheRunningBufferIsRefusedThoughTheFileAlsoGrowsTheBuffer() {
        // Valid as a file (64 MiB ≥ 2 × 16 MiB), but the buffer that runs keeps its 8 MiB.
        #expect(
            throws: ConfigurationError(issues: [
                .init(
                    key: "buffer.max_bytes",
                    message:
                        "must be at least twice influxdb.max_batch_bytes, so intake can go on while a batch is written"
                )
            ])
        ) {
            try Self.reload {
                $0.buffer.maxBytes = 64 * 1024 * 1024
                $0.influxdb.maxBatchBytes = 16 * 1024 * 1024
            }
        }
    }
}
