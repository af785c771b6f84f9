// iotflow-bridge: a write reply's class, as the `outcome` label of write_requests_total.
// SPDX-License-Identifier: Apache-2.0

extension WriteOutcome {
    /// The class of a reply, one value of the `outcome` label of `write_requests_total`.
    public enum Kind: Int, CaseIterable, Sendable {
        /// 2xx: every line stored.
        case ok
        /// 400/422 with some lines stored and the others refused (v3 `data[]`, 1.x `partial write`).
        case partial
        /// 400/422 with nothing stored: the bad lines are isolated by splitting.
        case rejected
        /// 401/403/404 and other 4xx: the bridge's token, database or URL is wrong.
        case configError
        /// 413: the body was too large and is split.
        case tooLarge
        /// 429/503: the server asked for less.
        case throttled
        /// 408, other 5xx, or no reply: retried with backoff.
        case retry

        /// The label value.
        public var label: String {
            switch self {
            case .ok: "ok"
            case .partial: "partial"
            case .rejected: "rejected"
            case .configError: "config_error"
            case .tooLarge: "too_large"
            case .throttled: "throttled"
            case .retry: "retry"
            }
        }
    }

    /// The class of this reply.
    public var kind: Kind {
        switch self {
        case .accepted: .ok
        case .partiallyAccepted, .partiallyWritten: .partial
        case .rejected: .rejected
        case .configurationError: .configError
        case .tooLarge: .tooLarge
        case .throttled: .throttled
        case .retryable: .retry
        }
    }

    /// Whether the server took the request as a write (stored all or part of it, or refused its
    /// data): InfluxDB works. The other outcomes count as failures for `/health`.
    public var reachedServer: Bool {
        switch kind {
        case .ok, .partial, .rejected, .tooLarge: true
        case .configError, .throttled, .retry: false
        }
    }
}
