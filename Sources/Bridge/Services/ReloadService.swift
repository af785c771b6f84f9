// iotflow-bridge: SIGHUP reloads the configuration without dropping anything.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Logging
import ServiceLifecycle
import UnixSignals

/// On SIGHUP, reads the configuration again (file and environment) and validates all of it.
/// A configuration with problems is refused as a whole, and the running one stays. A valid one
/// goes to `apply` (`BridgeApplication.reload`): the writer takes its whole `influxdb` section,
/// the connection keys from the next request and the batching keys (`batch_size`,
/// `max_batch_bytes`, `flush_interval`, `flush_jitter`) from the next batch; the changed keys of
/// other sections are logged by name as needing a restart. Nothing buffered is lost either way.
/// Under systemd, `RELOADING=1` (with `MONOTONIC_USEC=`) goes out before the file is read and
/// `READY=1` after the reload is applied or refused.
final class ReloadService: Service {
    private let load: @Sendable () async throws(ConfigurationError) -> BridgeConfiguration
    private let apply: @Sendable (BridgeConfiguration) -> Void
    private let notifier: SystemdNotifier?
    private let logger: Logger

    init(
        load: @escaping @Sendable () async throws(ConfigurationError) -> BridgeConfiguration,
        apply: @escaping @Sendable (BridgeConfiguration) -> Void,
        notifier: SystemdNotifier? = nil,
        logger: Logger
    ) {
        self.notifier = notifier
        self.load = load
        self.apply = apply
        self.logger = logger
    }

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            logger.notice("SIGHUP: reloading the configuration.")
            _ = notifier?.reloading()
            defer { notifier?.send(["READY=1"]) }
            do {
                apply(try await load())
            } catch {
                logger.error(
                    "Reload refused; the running configuration stays.",
                    metadata: ["config.problems": "\(error.issues.map(\.description).joined(separator: "; "))"]
                )
            }
        }
    }
}
