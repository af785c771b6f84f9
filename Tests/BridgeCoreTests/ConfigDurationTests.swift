// iotflow-bridge: durations in the configuration: parsed and formatted.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct ConfigDurationTests {
    @Test(arguments: [
        ("10s", Duration.seconds(10)), ("250ms", .milliseconds(250)), ("5000", .seconds(5)),
        (" 5m ", .seconds(300)), ("1h", .seconds(3600)),
    ])
    func parsesDurations(text: String, duration: Duration) {
        #expect(ConfigDuration.parse(text) == duration)
    }

    @Test(arguments: ["", "s", "1.5s", "-1s", "10 s", "10d"])
    func refusesDurations(text: String) {
        #expect(ConfigDuration.parse(text) == nil)
    }

    @Test func formatsDurationsShortest() {
        #expect(
            [Duration.seconds(10), .milliseconds(1500), .seconds(120), .seconds(7200), .zero].map(ConfigDuration.format)
                == ["10s", "1500ms", "2m", "2h", "0s"]
        )
    }
}
