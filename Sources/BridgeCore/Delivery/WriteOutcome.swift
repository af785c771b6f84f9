// iotflow-bridge: what a write attempt's reply means for the batch.
// SPDX-License-Identifier: Apache-2.0

/// What the writer does with a batch after a write attempt. A value, decided from the status
/// code alone, never from string matching (REFERENCE.md §B.5).
public enum WriteOutcome: Equatable, Sendable {
    /// 2xx: every point was stored; remove the batch.
    case accepted
    /// 400 / 422: the server refused the data itself, so sending the same bytes again gets
    /// the same answer. InfluxDB 1.x and 3.x have stored the valid lines already; the batch is
    /// removed and counted as rejected, and the server's message is logged.
    case rejected(status: Int)
    /// 401 / 403 / 404: the bridge's configuration (token, database, bucket) is wrong; keep
    /// the batch and retry later.
    case configurationError(status: Int)
    /// 408, 413, 429, 5xx, other statuses, or no reply at all: keep the batch and retry later.
    case retryable(status: Int?)

    /// Classifies an HTTP status; nil means no reply (connection refused, timeout, reset).
    public init(status: Int?) {
        guard let status else {
            self = .retryable(status: nil)
            return
        }
        switch status {
        case 200..<300: self = .accepted
        case 400, 422: self = .rejected(status: status)
        case 401, 403, 404: self = .configurationError(status: status)
        default: self = .retryable(status: status)
        }
    }
}
