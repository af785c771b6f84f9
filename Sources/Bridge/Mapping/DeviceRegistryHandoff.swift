// iotflow-bridge: hands a reloaded device registry to the MQTT thread without a per-message lock.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Logging

/// The device registry, reloaded on SIGHUP and picked up by the MQTT thread once per read pass
/// (`LatestValueHandoff`): messages are mapped with the old registry until the pass after the
/// reload, and none is dropped or held up.
final class DeviceRegistryHandoff: Sendable {
    private let path: String?
    private let pending: LatestValueHandoff<DeviceRegistry>
    private let logger: Logger

    /// Loads the registry at `path` (none when nil). A file that cannot be read gives an empty
    /// registry and an error log: the configuration check has read it moments before.
    init(path: String?, logger: Logger) {
        self.path = path
        self.logger = logger
        pending = LatestValueHandoff(Self.read(path, logger: logger) ?? DeviceRegistry())
    }

    /// Reads the file again; on success the MQTT thread uses it from its next pass.
    func reload() {
        guard let path, let registry = Self.read(path, logger: logger) else { return }
        pending.publish(registry)
        logger.notice(
            "Reloaded the device registry.",
            metadata: ["mapping.device_registry": "\(path)", "devices": "\(registry.devices.count)"]
        )
    }

    /// The registry, when it changed since `seen` (which is updated); nil otherwise.
    func take(ifNewerThan seen: inout Int) -> DeviceRegistry? {
        pending.take(ifNewerThan: &seen)
    }

    /// The latest registry loaded (the MQTT thread takes it once, when it starts).
    var current: DeviceRegistry { pending.current }

    private static func read(_ path: String?, logger: Logger) -> DeviceRegistry? {
        guard let path else { return nil }
        do {
            return try DeviceRegistryFile.load(path: path)
        } catch {
            logger.error("Cannot load the device registry; keeping the previous one.", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
