// iotflow-bridge: how the writer sends a batch.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore

/// The result of one write attempt.
public struct WriteAttempt: Sendable {
    /// What to do with the batch.
    public var outcome: WriteOutcome
    /// The server's error body or the transport's error, for logs; empty on success.
    public var message: String

    /// An attempt's result.
    public init(outcome: WriteOutcome, message: String = "") {
        self.outcome = outcome
        self.message = message
    }
}

/// Sends one batch of line protocol and classifies the reply.
///
/// Confined to the writer thread: `write` may block for the whole request.
public protocol InfluxTransport: AnyObject {
    /// Writes `body` (complete `\n`-terminated lines, uncompressed).
    func write(_ body: [UInt8]) -> WriteAttempt
}
