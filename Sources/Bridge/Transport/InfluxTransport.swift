// iotflow-bridge: how the writer sends a request.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore

/// Sends one request of line protocol and classifies the reply.
///
/// Confined to the writer thread: `write` may block for the whole request.
public protocol InfluxTransport: AnyObject {
    /// Writes `body` (complete `\n`-terminated lines, uncompressed).
    func write(_ body: ArraySlice<UInt8>) -> WriteOutcome
}
