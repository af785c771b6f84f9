// iotflow-bridge: the one error that ends the bridge from inside a service.
// SPDX-License-Identifier: Apache-2.0

/// A failure that ends the bridge; its message is one line for the journal.
///
/// What a service throws from `run()` when it cannot go on (its client cannot be set up): the
/// service group ends, and with it the process, with a non-zero exit. The dead-letter file also
/// throws it internally for a failed system call, which it catches and logs. Weather (a broker
/// down, a failed write to InfluxDB) is handled where it happens and never becomes one.
public struct BridgeError: Error, CustomStringConvertible, Sendable {
    /// What failed.
    public var message: String
    public var description: String { message }
}
