// iotflow-bridge: the request size a server accepts, learned from its 413 replies.
// SPDX-License-Identifier: Apache-2.0

/// The largest request body (uncompressed bytes) to send, learned from 413 replies.
///
/// It starts at `ceiling` (`influxdb.max_batch_bytes`). A 413 for a body of s bytes lowers it to
/// the largest size accepted below s, or s/2 when none was, so the next requests fit at once. It
/// grows back slowly, by a quarter after every 100 accepted requests of at least three quarters of
/// it, so a server whose limit was raised is used fully again.
///
/// Example, a server refusing bodies over 300 KB, 1 MB batches: 1 MB → 413 → limit 500 KB → 413 →
/// limit 250 KB → accepted (largest accepted 250 KB) … after 100 such requests the limit tries
/// 312 KB → 413 → back to 250 KB, the largest size accepted. A pure value; the writer owns it.
public struct RequestSizeLimit: Sendable {
    /// The most it can be (`influxdb.max_batch_bytes`).
    public let ceiling: Int
    /// The current limit in bytes, at least 1.
    public private(set) var current: Int
    private var largestAccepted = 0
    private var acceptedNearLimit = 0

    /// A limit starting at `ceiling`.
    public init(ceiling: Int) {
        self.ceiling = ceiling
        self.current = ceiling
    }

    /// A request of `bytes` was answered 413.
    public mutating func tooLarge(bytes: Int) {
        let fallback = max(1, bytes / 2)
        current = largestAccepted > 0 && largestAccepted < bytes ? max(largestAccepted, fallback) : fallback
        acceptedNearLimit = 0
    }

    /// A request of `bytes` was accepted.
    public mutating func accepted(bytes: Int) {
        largestAccepted = max(largestAccepted, bytes)
        guard current < ceiling, bytes * 4 >= current * 3 else { return }
        acceptedNearLimit += 1
        if acceptedNearLimit >= 100 {
            current = min(ceiling, current + max(1, current / 4))
            acceptedNearLimit = 0
        }
    }
}
