// iotflow-bridge: log lines about devices are limited per device and for the fleet.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct DeviceLogLimiterTests {
    @Test func aNoisyDeviceGetsItsBurstAndLeavesRoomForTheOthers() {
        var limiter = DeviceLogLimiter(perDevice: 3, per: .seconds(60))
        let start = ContinuousClock.now
        let noisy = (0..<1000).filter { limiter.admit(device: "noisy", at: start + .milliseconds($0)).admitted }
        #expect(noisy.count == 3)
        #expect(limiter.admit(device: "quiet", at: start + .seconds(1)).admitted)
        // A minute on, the noisy device's next line says how many were left out.
        let next = limiter.admit(device: "noisy", at: start + .seconds(61))
        #expect(next.admitted && next.suppressed == 997)
    }

    @Test func theFleetBudgetBoundsManyDevicesAtOnce() {
        var limiter = DeviceLogLimiter(fleet: LogRateLimiter(burst: 20, window: .seconds(10)))
        let now = ContinuousClock.now
        let admitted = (0..<500).filter { limiter.admit(device: "dev-\($0)", at: now).admitted }
        #expect(admitted.count == 20)
        // A device stopped by the fleet budget keeps its own burst for later.
        let later = limiter.admit(device: "dev-499", at: now + .seconds(11))
        #expect(later.admitted && later.suppressed == 1)
    }

    @Test func trackedDevicesAreBounded() {
        var limiter = DeviceLogLimiter(perDevice: 1, per: .seconds(60), maxDevices: 10)
        let now = ContinuousClock.now
        for index in 0..<25 { _ = limiter.admit(device: "dev-\(index)", at: now + .seconds(index)) }
        // dev-0 was forgotten when the table filled, so it gets a line again.
        #expect(limiter.admit(device: "dev-0", at: now + .seconds(30)).admitted)
    }
}
