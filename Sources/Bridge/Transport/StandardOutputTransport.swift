// iotflow-bridge: `run --dry-run` prints batches instead of writing them.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation

/// Prints each batch's line protocol to stdout and reports it accepted, so an operator can
/// check a mapping against live traffic without touching InfluxDB.
public final class StandardOutputTransport: InfluxTransport {
    /// A transport writing to stdout.
    public init() {}

    public func write(_ body: [UInt8]) -> WriteAttempt {
        FileHandle.standardOutput.write(Data(body))
        return WriteAttempt(outcome: .accepted)
    }
}
