// iotflow-bridge: the durations and rates printed in the simulator's summary lines.
// SPDX-License-Identifier: Apache-2.0

extension Duration {
    /// The duration in seconds.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Seconds with exactly three decimals, as in `12.345`; the summary lines are parsed by scripts.
    var secondsText: String {
        let milliseconds = Int((inSeconds * 1000).rounded())
        return "\(milliseconds / 1000).\((milliseconds % 1000).zeroPadded(toWidth: 3))"
    }

    /// `count` events over this duration, in events per second rounded to an integer; 0 for an empty duration.
    func rate(of count: Int) -> Int {
        let seconds = inSeconds
        return seconds > 0 ? Int((Double(count) / seconds).rounded()) : 0
    }

    /// A duration of `seconds` (non-negative, finite) seconds, to the nanosecond.
    static func seconds(fractional seconds: Double) -> Duration {
        .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
