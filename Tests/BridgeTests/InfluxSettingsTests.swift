// iotflow-bridge: the writer's InfluxDB settings, versioned so a reload is noticed between requests.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@testable import Bridge

@Suite struct InfluxSettingsTests {
    @Test func onlyAChangeReplacesTheSettingsAndBumpsTheVersion() {
        let first = InfluxConfiguration(api: .v1, url: "http://127.0.0.1:8086")
        let settings = InfluxSettings(first)
        #expect(settings.current.version == 0 && settings.current.configuration == first)
        #expect(!settings.replace(with: first), "the same settings: nothing to rebuild")
        #expect(settings.current.version == 0)
        let second = InfluxConfiguration(api: .v2, url: "http://127.0.0.1:8087")
        #expect(settings.replace(with: second))
        #expect(settings.current.version == 1 && settings.current.configuration == second)
        #expect(settings.replace(with: first))
        #expect(settings.current.version == 2 && settings.current.configuration == first)
    }
}
