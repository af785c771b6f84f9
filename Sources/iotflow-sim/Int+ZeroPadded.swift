// iotflow-bridge: zero padding for device names, timestamps and durations.
// SPDX-License-Identifier: Apache-2.0

extension Int {
    /// The decimal digits of a non-negative value, padded on the left with zeros to `width`.
    ///
    /// Longer values are returned whole, so `12.zeroPadded(toWidth: 1)` is `"12"`.
    func zeroPadded(toWidth width: Int) -> String {
        let digits = String(self)
        return String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
    }
}
