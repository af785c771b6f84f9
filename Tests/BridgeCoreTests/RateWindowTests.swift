// iotflow-bridge: rates over the last minute, with a manual clock.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct RateWindowTests {
    private let t0 = ContinuousClock.now

    private func totals(_ messages: Int, written: Int = 0, refused: Int = 0, dropped: Int = 0) -> RateWindow.Totals {
        RateWindow.Totals(
            messagesReceived: messages,
            pointsWritten: written,
            messagesRefused: refused,
            pointsDropped: dropped
        )
    }

    @Test func noSampleYetGivesZeroRatesOverAnEmptyWindow() {
        let window = RateWindow()
        let rates = window.rates(current: totals(100), now: t0)
        #expect(rates.windowSeconds == 0 && rates.messagesPerSecond == 0 && rates.pointsDropped == 0)
    }

    @Test func ratesRunFromTheOldestSampleToTheCurrentReading() {
        var window = RateWindow()
        window.add(totals(0), at: t0)
        window.add(totals(50, written: 20), at: t0 + .seconds(5))
        let rates = window.rates(current: totals(100, written: 40, refused: 10, dropped: 3), now: t0 + .seconds(10))
        #expect(rates.windowSeconds == 10)
        #expect(rates.messagesPerSecond == 10)
        #expect(rates.pointsWrittenPerSecond == 4)
        #expect(rates.messagesRefusedPerSecond == 1)
        #expect(rates.pointsDropped == 3)
    }

    @Test func samplesOlderThanAMinuteAreForgotten() {
        var window = RateWindow()
        for step in 0...20 {
            // 6 messages a second until t0 + 50 s, then 1 a second.
            let seconds = step * 5
            let messages = seconds <= 50 ? seconds * 6 : 300 + (seconds - 50)
            window.add(totals(messages), at: t0 + .seconds(seconds))
        }
        // At t0 + 100 s the window reaches back to t0 + 40 s (240 messages) at most.
        let rates = window.rates(current: totals(350), now: t0 + .seconds(100))
        #expect(rates.windowSeconds == 60)
        #expect(rates.messagesPerSecond == Double(350 - 240) / 60)
        // Long silence between reads: nothing within the span, so no rate rather than a wrong one.
        #expect(window.rates(current: totals(400), now: t0 + .seconds(500)).windowSeconds == 0)
    }
}
