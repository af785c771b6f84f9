// iotflow-bridge: the InfluxDB connection settings the writer uses, replaceable by a reload.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Synchronization

/// The `influxdb` section the writer's transport is built from, with a version that changes on
/// every reload, so the writer notices between requests and rebuilds its transport.
/// Safe from any thread.
final class InfluxSettings: Sendable {
    private let state: Mutex<(version: Int, configuration: InfluxConfiguration)>

    init(_ configuration: InfluxConfiguration) {
        state = Mutex((0, configuration))
    }

    /// The settings now and their version.
    var current: (version: Int, configuration: InfluxConfiguration) { state.withLock { $0 } }

    /// Replaces the settings; returns false (and changes nothing) when they are the same.
    func replace(with configuration: InfluxConfiguration) -> Bool {
        state.withLock { state in
            guard state.configuration != configuration else { return false }
            state = (state.version + 1, configuration)
            return true
        }
    }
}
