// iotflow-bridge: rates over the last minute, from samples of the counters.
// SPDX-License-Identifier: Apache-2.0

/// Rates over (up to) the last minute: samples of the counters with their times, kept while they
/// are at most `span` old, and the rates between the oldest one kept and the newest reading.
///
/// A value with the clock passed in; the observatory adds a sample every 5 s and reads the rates
/// with the counters of the moment, so a rate is never older than the call that asks for it.
public struct RateWindow: Sendable {
    /// The counters a rate is taken of.
    public struct Totals: Equatable, Sendable {
        public var messagesReceived: Int
        public var pointsWritten: Int
        public var messagesRefused: Int
        public var pointsDropped: Int

        /// Totals.
        public init(messagesReceived: Int, pointsWritten: Int, messagesRefused: Int, pointsDropped: Int) {
            self.messagesReceived = messagesReceived
            self.pointsWritten = pointsWritten
            self.messagesRefused = messagesRefused
            self.pointsDropped = pointsDropped
        }
    }

    /// Per-second rates over `windowSeconds` (0 with no sample to compare: every rate is then 0).
    public struct Rates: Equatable, Sendable {
        public var windowSeconds: Double
        public var messagesPerSecond: Double
        public var pointsWrittenPerSecond: Double
        public var messagesRefusedPerSecond: Double
        /// Points dropped within the window (not a rate: any at all makes the buffer check fail).
        public var pointsDropped: Int
    }

    /// The longest time between the oldest sample used and the reading.
    public let span: Duration
    private var samples: [(at: ContinuousClock.Instant, totals: Totals)] = []

    /// An empty window over `span` (a minute by default).
    public init(span: Duration = .seconds(60)) {
        self.span = span
    }

    /// Adds the counters read at `time`, forgetting samples older than `span` before it.
    public mutating func add(_ totals: Totals, at time: ContinuousClock.Instant) {
        samples.append((time, totals))
        samples.removeAll { time - $0.at > span }
    }

    /// The rates from the oldest sample at most `span` before `now` to `current`, read at `now`.
    public func rates(current: Totals, now: ContinuousClock.Instant) -> Rates {
        guard let oldest = samples.first(where: { now - $0.at <= span && $0.at < now }) else {
            return Rates(
                windowSeconds: 0,
                messagesPerSecond: 0,
                pointsWrittenPerSecond: 0,
                messagesRefusedPerSecond: 0,
                pointsDropped: 0
            )
        }
        let seconds = (now - oldest.at) / .seconds(1)
        func rate(_ value: KeyPath<Totals, Int>) -> Double {
            Double(current[keyPath: value] - oldest.totals[keyPath: value]) / seconds
        }
        return Rates(
            windowSeconds: seconds,
            messagesPerSecond: rate(\.messagesReceived),
            pointsWrittenPerSecond: rate(\.pointsWritten),
            messagesRefusedPerSecond: rate(\.messagesRefused),
            pointsDropped: current.pointsDropped - oldest.totals.pointsDropped
        )
    }
}
