// iotflow-bridge: the watchdog gate pings only while both thread loops vouch for themselves.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct WatchdogGateTests {
    private let start = ContinuousClock.now

    private func at(_ seconds: Double) -> ContinuousClock.Instant {
        start + .milliseconds(Int64(seconds * 1000))
    }

    @Test func theWindowIsTheWatchdogIntervalButNeverUnderThreeSeconds() {
        #expect(WatchdogGate(watchdogInterval: .seconds(30)).staleAfter == .seconds(30))
        #expect(WatchdogGate(watchdogInterval: .milliseconds(400)).staleAfter == .seconds(3))
    }

    @Test func pingsWhileBothLoopsBeatWithinTheWindow() {
        var gate = WatchdogGate(watchdogInterval: .seconds(10))
        for second in stride(from: 0.0, through: 60, by: 5) {
            let tick = gate.tick(mqtt: at(second - 1), writer: at(second - 9.9), at: at(second))
            #expect(tick == .init(ping: true, transition: nil))
        }
    }

    @Test func aStalledWriterStopsThePingsOnceAndTheyResumeWithItsNextBeat() {
        var gate = WatchdogGate(watchdogInterval: .seconds(10))
        // The writer's last beat is at 0 s; a request hangs from there.
        #expect(gate.tick(mqtt: at(5), writer: at(0), at: at(5)).ping)
        #expect(gate.tick(mqtt: at(10), writer: at(0), at: at(10)).ping)
        #expect(
            gate.tick(mqtt: at(15), writer: at(0), at: at(15)) == .init(ping: false, transition: .stalled([.writer]))
        )
        #expect(gate.tick(mqtt: at(20), writer: at(0), at: at(20)) == .init(ping: false, transition: nil))
        #expect(gate.stalled == [.writer])
        #expect(gate.tick(mqtt: at(25), writer: at(24), at: at(25)) == .init(ping: true, transition: .resumed))
        #expect(gate.stalled.isEmpty)
    }

    @Test func aSecondStalledLoopIsReportedAsAChange() {
        var gate = WatchdogGate(watchdogInterval: .seconds(3))
        #expect(gate.tick(mqtt: at(10), writer: at(0), at: at(10)).transition == .stalled([.writer]))
        #expect(gate.tick(mqtt: at(10), writer: at(0), at: at(20)).transition == .stalled([.mqtt, .writer]))
        #expect(gate.tick(mqtt: at(21), writer: at(0), at: at(21)).transition == .stalled([.writer]))
    }

    @Test func anAnnouncedWaitIsVouchedForUntilItEnds() {
        var gate = WatchdogGate(watchdogInterval: .seconds(3))
        // The MQTT loop waits out a 60 s reconnect backoff from 0 s: it vouched for itself until 60 s.
        #expect(gate.tick(mqtt: at(60), writer: at(40), at: at(40)).ping)
        #expect(gate.tick(mqtt: at(60), writer: at(63), at: at(63)).ping)
        #expect(!gate.tick(mqtt: at(60), writer: at(63.5), at: at(63.5)).ping)
    }
}

@Suite struct ServiceStatusTests {
    @Test(arguments: [
        (
            ServiceStatus(
                phase: .running,
                mqttConnected: true,
                bufferedPoints: 1200,
                backingOff: false,
                breakerOpen: false
            ),
            "MQTT connected; 1200 points buffered; writing to InfluxDB."
        ),
        (
            ServiceStatus(
                phase: .running,
                mqttConnected: false,
                bufferedPoints: 1,
                backingOff: true,
                breakerOpen: true
            ),
            "MQTT disconnected; 1 point buffered; backing off (breaker open)."
        ),
        (
            ServiceStatus(
                phase: .running,
                mqttConnected: true,
                bufferedPoints: 0,
                backingOff: true,
                breakerOpen: false
            ),
            "MQTT connected; 0 points buffered; backing off."
        ),
        (
            ServiceStatus(
                phase: .starting,
                mqttConnected: false,
                bufferedPoints: 7,
                backingOff: false,
                breakerOpen: false
            ),
            "Starting: connecting to MQTT; 7 points buffered."
        ),
        (
            ServiceStatus(
                phase: .stopping,
                mqttConnected: false,
                bufferedPoints: 30,
                backingOff: true,
                breakerOpen: false
            ),
            "Stopping: draining 30 points buffered."
        ),
    ])
    func theLineSaysWhatTheBridgeIsDoing(status: ServiceStatus, line: String) {
        #expect(status.line == line)
    }
}
