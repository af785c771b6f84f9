// iotflow-bridge: a secret string that never prints itself.
// SPDX-License-Identifier: Apache-2.0

/// A password or token. Its descriptions are redacted, so logging a configuration, an error or
/// a value dump never shows it; read `value` only where the secret is sent.
public struct Secret: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself.
    public let value: String

    /// Wraps `value`.
    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
