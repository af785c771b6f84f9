// iotflow-bridge: what a reload logs: the keys it applied and, by name, the keys that need a restart.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import Foundation
import InMemoryLogging
import Logging
import Testing

@testable import BridgeCore

@Suite struct ReloadServiceTests {
    /// Every stored setting of every section has its key in the one key list, so a reload
    /// compares it and names it when it changes: a new setting without a key fails here.
    @Test func everyStoredSettingHasAKeyAReloadCompares() {
        let sections = Mirror(reflecting: BridgeConfiguration()).children
        let fileNames = ["deadLetters": "dead_letters"]
        #expect(sections.count == Set(BridgeConfiguration.keys.map(\.section)).count)
        for section in sections {
            let label = section.label ?? ""
            let name = fileNames[label] ?? label
            // A subsection (`tls`) counts as its own settings.
            let settings = Mirror(reflecting: section.value).children.reduce(0) { count, child in
                count + (child.value is TLSConfiguration ? Mirror(reflecting: child.value).children.count : 1)
            }
            let keys = BridgeConfiguration.keys.filter { $0.section == name }.count
            #expect(settings == keys, "\(name): \(settings) stored settings, \(keys) keys")
        }
    }

    /// A bridge (memory buffer, not started) whose logs are captured.
    private func application(_ configuration: BridgeConfiguration) throws -> (BridgeApplication, InMemoryLogHandler) {
        let logs = InMemoryLogHandler()
        let application = try BridgeApplication(
            configuration: configuration,
            dryRun: true,
            logger: Logger(label: "test") { _ in logs }
        )
        return (application, logs)
    }

    private func metadata(_ logs: InMemoryLogHandler, _ message: String, _ key: String) -> [String] {
        logs.entries.filter { "\($0.message)" == message }.map { $0.metadata[key].map { "\($0)" } ?? "" }
    }

    @Test func aReloadLogsTheKeysItAppliedAndTheKeysThatNeedARestart() throws {
        let running = BridgeConfiguration(buffer: BufferConfiguration(durable: false))
        let (application, logs) = try application(running)
        var reloaded = running
        reloaded.influxdb.batchSize = 25
        reloaded.influxdb.flushInterval = .seconds(3)
        reloaded.breaker.failures = 7
        reloaded.delivery.maxSettleTime = .seconds(5)
        application.reload(reloaded)
        #expect(
            metadata(logs, "Reloaded the configuration.", "config.applied") == [
                "influxdb.batch_size,influxdb.flush_interval"
            ]
        )
        #expect(
            metadata(logs, "Changes to these keys take effect after a restart.", "config.keys") == [
                "breaker.failures,delivery.max_settle_time"
            ]
        )

        // The same file again: the influxdb keys now run, the others still wait for a restart.
        application.reload(reloaded)
        #expect(metadata(logs, "Reloaded the configuration.", "config.applied").last == "none")
        #expect(
            metadata(logs, "Changes to these keys take effect after a restart.", "config.keys").last
                == "breaker.failures,delivery.max_settle_time"
        )
    }

    @Test func aReloadThatDoesNotFitTheRunningBufferIsRefused() throws {
        let running = BridgeConfiguration(buffer: BufferConfiguration(durable: false, maxBytes: 8 * 1024 * 1024))
        let (application, logs) = try application(running)
        var reloaded = running
        reloaded.buffer.maxBytes = 64 * 1024 * 1024
        reloaded.influxdb.maxBatchBytes = 16 * 1024 * 1024
        application.reload(reloaded)
        let refused = logs.entries.filter { $0.level == .error }
        #expect(
            refused.count == 1
                && refused.first?.metadata["config.problems"].map { "\($0)" }?.hasPrefix("buffer.max_bytes") == true
        )
        #expect(!logs.entries.contains { "\($0.message)" == "Reloaded the configuration." })
    }
}
