// iotflow-bridge: keeps per-event log lines (bad messages, failed writes) from flooding the journal.
// SPDX-License-Identifier: Apache-2.0

/// Admits at most `burst` events per `window`; the rest are counted, and the next admitted
/// event reports how many were suppressed since the last one.
///
/// Example with `burst: 10, window: .seconds(10)`: a device sending 1,000 bad messages a second
/// produces 10 log lines, then one line every ~10 s carrying `suppressed=9990`-style counts.
/// A pure value: time comes in as an argument, so tests step it by hand.
public struct LogRateLimiter: Sendable {
    private let burst: Int
    private let window: Duration
    private var windowStart: ContinuousClock.Instant?
    private var admittedInWindow = 0
    private var suppressed = 0

    /// A limiter admitting `burst` events per `window`.
    public init(burst: Int = 10, window: Duration = .seconds(10)) {
        self.burst = burst
        self.window = window
    }

    /// Whether to log the event happening at `now`; when admitted, also how many events were
    /// suppressed before it (0 if none).
    public mutating func admit(at now: ContinuousClock.Instant) -> (admitted: Bool, suppressedBefore: Int) {
        if let start = windowStart, now - start < window {
            guard admittedInWindow < burst else {
                suppressed += 1
                return (false, 0)
            }
        } else {
            windowStart = now
            admittedInWindow = 0
        }
        admittedInWindow += 1
        defer { suppressed = 0 }
        return (true, suppressed)
    }

    /// Takes back the last admission (the caller did not log after all), keeping the count of
    /// suppressed events it carried for the next admitted one.
    public mutating func refund(suppressed count: Int) {
        admittedInWindow = max(0, admittedInWindow - 1)
        suppressed += count + 1
    }
}
