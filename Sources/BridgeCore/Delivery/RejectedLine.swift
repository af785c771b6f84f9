// iotflow-bridge: a line of a batch that InfluxDB rejected, on its way to the dead-letter file.
// SPDX-License-Identifier: Apache-2.0

/// A line of the batch that goes to the dead-letter file instead of InfluxDB.
public struct RejectedLine: Equatable, Sendable {
    /// Why the line is dead-lettered.
    public enum Kind: Equatable, Sendable {
        /// The server rejected it: named it, or rejected it alone.
        case rejected
        /// The settle budget ran out before the line was isolated; the reason is the server's last.
        case unsettled
        /// A 1.x partial write dropped some lines among these without naming them; this one may
        /// have been stored (replaying it is harmless: identical points overwrite).
        case possiblyStored
    }

    /// The line's index in the batch (0-based).
    public var index: Int
    /// The reason recorded with it: the server's message, marked for the other kinds.
    public var reason: String
    /// The HTTP status of the reply that rejected it.
    public var status: Int?
    /// Why it is dead-lettered.
    public var kind: Kind

    /// A dead-lettered line.
    public init(index: Int, reason: String, status: Int?, kind: Kind = .rejected) {
        self.index = index
        self.reason = reason
        self.status = status
        self.kind = kind
    }
}
