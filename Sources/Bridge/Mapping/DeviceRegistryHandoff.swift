// iotflow-bridge: hands a reloaded device registry to the MQTT thread without a per-message lock.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Logging
import Synchronization

/// The device registry, reloaded on SIGHUP and picked up by the MQTT thread.
///
/// The reload (any thread) stores the new registry under a lock and then bumps `generation`. The
/// MQTT thread compares `generation` with the one it last took, once per read pass: a relaxed
/// atomic load, no lock, in the common case. Only when it changed does it take the lock to fetch
/// the registry, so messages are mapped with the old registry until the pass after the reload,
/// and none is dropped or held up. The acquire/release pair orders the store before the bump.
final class DeviceRegistryHandoff: Sendable {
    private let path: String?
    private let pending: Mutex<DeviceRegistry>
    private let generation = Atomic<Int>(0)
    private let logger: Logger

    /// Loads the registry at `path` (none when nil). A file that cannot be read gives an empty
    /// registry and an error log: the configuration check has read it moments before.
    init(path: String?, logger: Logger) {
        self.path = path
        self.logger = logger
        pending = Mutex(Self.read(path, logger: logger) ?? DeviceRegistry())
    }

    /// Reads the file again; on success the MQTT thread uses it from its next pass.
    func reload() {
        guard let path, let registry = Self.read(path, logger: logger) else { return }
        pending.withLock { $0 = registry }
        generation.wrappingAdd(1, ordering: .releasing)
        logger.notice(
            "Reloaded the device registry.",
            metadata: ["mapping.device_registry": "\(path)", "devices": "\(registry.devices.count)"]
        )
    }

    /// The registry, when it changed since `seen` (which is updated); nil otherwise.
    func take(ifNewerThan seen: inout Int) -> DeviceRegistry? {
        let current = generation.load(ordering: .acquiring)
        guard current != seen else { return nil }
        seen = current
        return pending.withLock { $0 }
    }

    /// The latest registry loaded (the MQTT thread takes it once, when it starts).
    var current: DeviceRegistry { pending.withLock { $0 } }

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
