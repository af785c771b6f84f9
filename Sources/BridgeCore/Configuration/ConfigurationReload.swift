// iotflow-bridge: what a reload (SIGHUP) changes in the running bridge, key by key.
// SPDX-License-Identifier: Apache-2.0

/// What a reload does with a new, valid configuration, decided key by key.
///
/// The keys that `BridgeConfiguration.keys` marks `appliesOnReload` (the `influxdb` section) are
/// the ones a running bridge takes on. Every other key is read once, at start: a change to one is
/// listed in `restartKeys`. The configuration that runs after the reload is the running one with
/// the new values of the applied keys, and it must itself be valid: `buffer.max_bytes` must stay at
/// least twice `influxdb.max_batch_bytes` with the buffer that runs, not only with the one the file
/// asks for. A pure value.
public struct ConfigurationReload: Equatable, Sendable {
    /// What runs once the reload is applied.
    public let configuration: BridgeConfiguration
    /// The changed keys the running bridge takes on, in file order (dotted, `influxdb.batch_size`).
    public let appliedKeys: [String]
    /// The changed keys that take effect only after a restart, in file order.
    public let restartKeys: [String]

    /// Compares `reloaded` with what runs now.
    ///
    /// - Throws: the problems of the configuration that would run, when the new applied values do
    ///   not fit the running values of the keys that need a restart.
    public init(running: BridgeConfiguration, reloaded: BridgeConfiguration) throws(ConfigurationError) {
        var next = running
        for key in BridgeConfiguration.keys where key.appliesOnReload {
            key.entry.copy(reloaded, &next)
        }
        try next.validate()
        configuration = next
        let changed = BridgeConfiguration.keys.filter { $0.entry.differs(running, reloaded) }
        appliedKeys = changed.filter(\.appliesOnReload).map(\.name)
        restartKeys = changed.filter { !$0.appliesOnReload }.map(\.name)
    }

    /// The keys whose values differ between `old` and `new`, in file order.
    public static func changedKeys(from old: BridgeConfiguration, to new: BridgeConfiguration) -> [String] {
        BridgeConfiguration.keys.filter { $0.entry.differs(old, new) }.map(\.name)
    }
}
