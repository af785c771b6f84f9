// iotflow-bridge: `run --dry-run` prints batches instead of writing them.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Foundation

/// Prints each request's line protocol to stdout and reports it accepted, so an operator can
/// check a mapping against live traffic without touching InfluxDB.
public final class StandardOutputTransport: InfluxTransport {
    /// A transport writing to stdout.
    public init() {}

    public func write(_ body: ArraySlice<UInt8>) -> WriteOutcome {
        FileHandle.standardOutput.write(Data(body))
        return .accepted
    }
}
