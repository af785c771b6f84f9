// iotflow-bridge: when a start that is still making progress asks systemd for more time.
// SPDX-License-Identifier: Apache-2.0

/// Decides when start-up work that reports progress (the durable buffer's recovery, segment by
/// segment) sends `EXTEND_TIMEOUT_USEC=`, so that systemd's `TimeoutStartSec=` does not kill a
/// start that is working, while one that stops making progress still times out.
///
/// Progress at or after the due instant asks for `extendBy` (3 × `interval`) from then, and makes
/// the next extension due `interval` later; progress before that asks for nothing. Nothing is
/// asked without progress, so a stuck recovery gets at most `extendBy` beyond its last progress.
/// The first extension is due `interval` after the start: a quick recovery sends nothing.
///
/// With the default 5 s: progress at 1, 4, 6, 9, 12 s extends at 6 s (to 21 s) and 12 s (to 27 s).
public struct StartTimeoutExtender: Sendable {
    /// The least time between two extensions.
    public let interval: Duration
    /// How far each extension reaches, from the instant it is sent.
    public var extendBy: Duration { interval * 3 }
    private var due: ContinuousClock.Instant

    /// An extender for work that started at `start`.
    public init(startedAt start: ContinuousClock.Instant, interval: Duration = .seconds(5)) {
        self.interval = interval
        due = start + interval
    }

    /// The work made progress at `now`: the extension to send (`EXTEND_TIMEOUT_USEC=` that many
    /// microseconds), or nil when the last one is recent enough.
    public mutating func progressed(at now: ContinuousClock.Instant) -> Duration? {
        guard now >= due else { return nil }
        due = now + interval
        return extendBy
    }
}
