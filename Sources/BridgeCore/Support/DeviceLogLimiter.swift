// iotflow-bridge: log lines about devices, rate-limited per device and for the fleet as a whole.
// SPDX-License-Identifier: Apache-2.0

/// Admits a log line about a device only while both that device and the fleet are within their
/// rates, so one noisy device cannot use up the journal, nor crowd out the lines about others.
///
/// Example with the defaults (`perDevice: 3 per 60 s`, `fleet: 20 per 10 s`): a device sending
/// 1,000 bad messages a second gets 3 lines a minute, the next one carrying how many of its lines
/// were left out; a thousand devices misbehaving at once get 20 lines every 10 s between them.
///
/// Memory is bounded: at most `maxDevices` devices are tracked; past that, their windows are
/// forgotten and start again (a device may then get its burst once more). A pure value: time
/// comes in as an argument.
public struct DeviceLogLimiter: Sendable {
    private let perDeviceBurst: Int
    private let perDeviceWindow: Duration
    private let maxDevices: Int
    private var devices: [String: LogRateLimiter] = [:]
    private var fleet: LogRateLimiter

    /// A limiter; `device` nil (a message whose topic names no valid device) shares one slot.
    public init(
        perDevice burst: Int = 3,
        per window: Duration = .seconds(60),
        fleet: LogRateLimiter = LogRateLimiter(burst: 20, window: .seconds(10)),
        maxDevices: Int = 10_000
    ) {
        self.perDeviceBurst = burst
        self.perDeviceWindow = window
        self.fleet = fleet
        self.maxDevices = maxDevices
    }

    /// Whether to log a line about `device` at `now`; when admitted, also how many lines about
    /// this device were left out since its last one.
    public mutating func admit(device: String?, at now: ContinuousClock.Instant) -> (admitted: Bool, suppressed: Int) {
        let key = device ?? ""
        if devices[key] == nil && devices.count >= maxDevices { devices.removeAll(keepingCapacity: true) }
        var limiter = devices[key] ?? LogRateLimiter(burst: perDeviceBurst, window: perDeviceWindow)
        defer { devices[key] = limiter }
        let (admitted, suppressed) = limiter.admit(at: now)
        guard admitted else { return (false, 0) }
        guard fleet.admit(at: now).admitted else {
            // The device's own line is not spent when the fleet's budget is what stopped it.
            limiter.refund(suppressed: suppressed)
            return (false, 0)
        }
        return (true, suppressed)
    }
}
