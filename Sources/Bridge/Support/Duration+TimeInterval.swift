// iotflow-bridge: Duration ↔ seconds for Foundation and POSIX calls.
// SPDX-License-Identifier: Apache-2.0

extension Duration {
    /// The duration in seconds, as Foundation's `TimeInterval` and `poll(2)` arithmetic want it.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    /// Whole milliseconds, rounded up so a short wait never becomes a busy loop of zero waits.
    var roundedUpMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
