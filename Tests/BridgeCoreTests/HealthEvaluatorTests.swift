// iotflow-bridge: the health rules, decided with a manual clock.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct HealthEvaluatorTests {
    private let t0 = ContinuousClock.now
    private let evaluator = HealthEvaluator()

    private func t(_ seconds: Int) -> ContinuousClock.Instant { t0 + .seconds(seconds) }

    private func check(_ name: String, _ inputs: HealthEvaluator.Inputs, at seconds: Int) -> HealthStatus? {
        evaluator.checks(inputs, now: t(seconds))[name]?.status
    }

    @Test func mqttWarnsWhileDisconnectedBrieflyAndFailsAfterThirtySeconds() {
        var inputs = HealthEvaluator.Inputs(startedAt: t0)
        #expect(check("mqtt", inputs, at: 5) == .warn)  // still within the start-up window
        #expect(check("mqtt", inputs, at: 31) == .fail)
        inputs.mqttConnected = true
        inputs.mqttChangedAt = t(2)
        #expect(check("mqtt", inputs, at: 100) == .pass)
        inputs.mqttConnected = false
        inputs.mqttChangedAt = t(100)
        #expect(check("mqtt", inputs, at: 129) == .warn)
        #expect(check("mqtt", inputs, at: 131) == .fail)
    }

    @Test func influxPassesBeforeAnyRequestAndWhileWritesSucceed() {
        var inputs = HealthEvaluator.Inputs(startedAt: t0)
        #expect(check("influxdb", inputs, at: 1) == .pass)
        inputs.lastSuccess = t(5)
        inputs.lastFailure = (t(3), "HTTP 503")
        #expect(check("influxdb", inputs, at: 6) == .pass)
    }

    @Test func influxWarnsWhileRetryingAndFailsWhenNothingLandsForAMinute() {
        var inputs = HealthEvaluator.Inputs(startedAt: t0, lastSuccess: t(10), bufferedPoints: 100)
        inputs.lastFailure = (t(20), "connection refused")
        #expect(check("influxdb", inputs, at: 21) == .warn)
        #expect(check("influxdb", inputs, at: 69) == .warn)
        #expect(check("influxdb", inputs, at: 71) == .fail)
        // Nothing buffered: nothing waits on InfluxDB, so a failed request stays a warning.
        inputs.bufferedPoints = 0
        #expect(check("influxdb", inputs, at: 200) == .warn)
        // A ping answered after the failure: InfluxDB is back, the writer's next retry writes.
        inputs.bufferedPoints = 100
        inputs.ping = .init(at: t(75), failure: nil, version: "1.6.7")
        let back = evaluator.checks(inputs, now: t(76))["influxdb"]
        #expect(back?.status == .pass && back?.version == "1.6.7")
    }

    @Test func influxFailsWhileTheBreakerIsOpen() {
        var inputs = HealthEvaluator.Inputs(startedAt: t0, lastSuccess: t(1))
        inputs.breakerOpen = true
        #expect(check("influxdb", inputs, at: 2) == .fail)
    }

    @Test func anIdleWriterIsJudgedByThePing() {
        var inputs = HealthEvaluator.Inputs(startedAt: t0, lastSuccess: t(1))
        inputs.ping = .init(at: t(14), failure: "connection refused", version: nil)
        #expect(check("influxdb", inputs, at: 15) == .warn)
        // A stale ping says nothing.
        #expect(check("influxdb", inputs, at: 45) == .pass)
        // A request finished recently: the writer is not idle, and its success counts.
        inputs.lastSuccess = t(12)
        #expect(check("influxdb", inputs, at: 15) == .pass)
    }

    @Test func bufferWarnsFromEightyPercentAndFailsWhenFull() {
        var inputs = HealthEvaluator.Inputs(startedAt: t0, bufferedBytes: 79, capacityBytes: 100)
        #expect(check("buffer", inputs, at: 0) == .pass)
        inputs.bufferedBytes = 80
        #expect(check("buffer", inputs, at: 0) == .warn)
        inputs.intakePaused = true
        #expect(check("buffer", inputs, at: 0) == .fail)
        inputs.intakePaused = false
        inputs.bufferedBytes = 10
        inputs.recentlyDropped = 5
        #expect(check("buffer", inputs, at: 0) == .fail)
    }

    @Test func theReportTakesTheWorstCheck() {
        let inputs = HealthEvaluator.Inputs(startedAt: t0, mqttConnected: true, mqttChangedAt: t0)
        let checks = evaluator.checks(inputs, now: t(1))
        #expect(Set(checks.keys) == ["mqtt", "influxdb", "buffer"])
        let figures = BridgeFigures(
            bufferedPoints: 0,
            bufferedBytes: 0,
            bufferCapacityBytes: 1,
            oldestPointAgeSeconds: nil,
            rateWindowSeconds: 0,
            messagesPerSecond: 0,
            pointsWrittenPerSecond: 0,
            messagesRefusedPerSecond: 0,
            devicesSeen: 0,
            devicesStale: 0,
            staleAfterSeconds: 600
        )
        #expect(HealthReport(version: "x", checks: checks, bridge: figures).status == .pass)
    }
}
