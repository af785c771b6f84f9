// iotflow-bridge: the admin endpoint's open connections, bounded, for quiescing.
// SPDX-License-Identifier: Apache-2.0

import NIOCore
import Synchronization

/// The open connections of the admin endpoint: at most `capacity`, none admitted once the
/// server is stopping. One lock makes admit and quiesce exclusive, so no connection accepted
/// just before the stop misses its quiesce event.
final class AdminConnectionTable: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var stopping = false
    }

    private let capacity: Int
    private let state = Mutex(State())

    /// A table for up to `capacity` connections.
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds `channel` unless the table is full or stopping; false means close it.
    func admit(_ channel: any Channel) -> Bool {
        state.withLock { state in
            guard !state.stopping, state.channels.count < capacity else { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    /// Forgets a closed connection.
    func remove(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Admits no more and returns the open connections, to be asked to close.
    func quiesce() -> [any Channel] {
        state.withLock { state in
            state.stopping = true
            return Array(state.channels.values)
        }
    }

    /// Closes every open connection at once (cancellation).
    func closeAll() {
        for channel in quiesce() { channel.close(promise: nil) }
    }
}
