// iotflow-bridge: the one error type thrown by the test harness.
// SPDX-License-Identifier: Apache-2.0

/// A failure inside the test harness: a server that would not start, a timeout, a bad reply.
///
/// Tests only print these, so a message with the context (port, path, the tail of a server log) is all
/// there is; there is no code to switch over.
public struct HarnessError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in one or more lines.
    public let message: String

    /// Creates an error with the given message.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
