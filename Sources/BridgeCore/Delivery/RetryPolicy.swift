// iotflow-bridge: the backoff schedule between failed writes, with jitter and Retry-After.
// SPDX-License-Identifier: Apache-2.0

/// How long the writer waits before the next attempt after consecutive failed writes:
/// exponential backoff with full jitter, never shorter than `initial`, and never shorter than
/// a server's `Retry-After` (capped at `retryAfterCap`).
///
/// The ceiling for the `n`th consecutive failure is `min(maximum, initial × 2^(n-1))`, and the
/// delay is `initial + (ceiling - initial) × random`, so a fleet of bridges restarted together
/// does not retry in lockstep, yet none retries sooner than `initial`. With the defaults
/// (`initial` 1 s, `maximum` 60 s):
///
/// | failures | ceiling | delay for `random` 0 … 0.5 … 1 |
/// | -------- | ------- | ------------------------------ |
/// | 1        | 1 s     | 1 s                            |
/// | 2        | 2 s     | 1 s … 1.5 s … 2 s              |
/// | 3        | 4 s     | 1 s … 2.5 s … 4 s              |
/// | 4        | 8 s     | 1 s … 4.5 s … 8 s              |
/// | 5        | 16 s    | 1 s … 8.5 s … 16 s             |
/// | 6        | 32 s    | 1 s … 16.5 s … 32 s            |
/// | 7        | 60 s    | 1 s … 30.5 s … 60 s            |
/// | 8 and on | 60 s    | 1 s … 30.5 s … 60 s            |
///
/// With a `Retry-After` the result is the larger of the backoff and `min(retryAfter,
/// retryAfterCap)`: after 3 failures with `random` 0.5, `Retry-After: 30` gives 30 s,
/// `Retry-After: 2` gives 2.5 s, and `Retry-After: 3600` gives 600 s.
///
/// A pure value, safe from any thread: randomness comes in as an argument, so tests are exact.
public struct RetryPolicy: Sendable {
    private let initial: Duration
    private let maximum: Duration
    private let retryAfterCap: Duration

    /// A policy starting at `initial` and doubling up to `maximum`, honouring a server's
    /// `Retry-After` up to `retryAfterCap`.
    ///
    /// - Parameters:
    ///   - initial: the shortest delay, and the delay after the first failure; at least zero
    ///     (a negative value counts as zero).
    ///   - maximum: the longest backoff ceiling; a value below `initial` counts as `initial`.
    ///   - retryAfterCap: the longest `Retry-After` honoured (default 10 minutes), so a
    ///     misconfigured server cannot park the bridge for a day; at least zero.
    public init(
        initial: Duration = .seconds(1),
        maximum: Duration = .seconds(60),
        retryAfterCap: Duration = .seconds(600)
    ) {
        self.initial = max(initial, .zero)
        self.maximum = max(maximum, self.initial)
        self.retryAfterCap = max(retryAfterCap, .zero)
    }

    /// The delay before the next attempt, between `initial` and `maximum`, or up to
    /// `retryAfterCap` when the server asked for longer.
    ///
    /// - Parameters:
    ///   - failures: consecutive failed attempts so far, 1 or more (a smaller value counts
    ///     as 1). Any size is safe: the ceiling stops doubling once it reaches `maximum`.
    ///   - retryAfter: the server's `Retry-After`, if it sent one.
    ///   - random: where the delay falls between `initial` (0) and the ceiling (1); the caller
    ///     passes `Double.random(in: 0...1)`. Values outside 0...1 are clamped, NaN counts as 0.
    public func delay(afterFailures failures: Int, retryAfter: Duration? = nil, random: Double) -> Duration {
        let fraction = random.isNaN ? 0 : min(max(random, 0), 1)
        let ceiling = ceiling(afterFailures: failures)
        // Double rounding of a very long span could land a hair past the ceiling; clamp it.
        let backoff = min(ceiling, initial + (ceiling - initial) * fraction)
        guard let retryAfter else { return backoff }
        return max(backoff, min(retryAfter, retryAfterCap))
    }

    /// `min(maximum, initial × 2^(failures-1))`, doubling step by step so it cannot overflow.
    private func ceiling(afterFailures failures: Int) -> Duration {
        var ceiling = initial
        // 127 doublings take even one attosecond past any `Duration`; the loop stays short.
        for _ in 0..<min(max(failures - 1, 0), 127) {
            guard ceiling <= maximum - ceiling else { return maximum }
            ceiling += ceiling
        }
        return ceiling
    }
}
