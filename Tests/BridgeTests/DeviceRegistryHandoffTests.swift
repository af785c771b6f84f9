// iotflow-bridge: a reloaded device registry reaches the MQTT thread once, and a broken file changes nothing.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import Logging
import Testing

@testable import Bridge

@Suite struct DeviceRegistryHandoffTests {
    @Test func reloadHandsTheNewRegistryOverOnceAndKeepsTheOldOneOnErrors() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("devices-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: path) }
        try "dev-1: {location: basement}\n".write(to: path, atomically: true, encoding: .utf8)
        let handoff = DeviceRegistryHandoff(
            path: path.path,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        #expect(handoff.current.devices["dev-1"] == [.init(key: "location", value: "basement")])
        var seen = 0
        #expect(handoff.take(ifNewerThan: &seen) == nil, "nothing new before a reload")

        try "dev-1: {location: roof}\ndev-2: {device_name: \"Pump 2\"}\n".write(
            to: path,
            atomically: true,
            encoding: .utf8
        )
        handoff.reload()
        let reloaded = handoff.take(ifNewerThan: &seen)
        #expect(reloaded?.devices["dev-1"] == [.init(key: "location", value: "roof")])
        #expect(reloaded?.devices["dev-2"] == [.init(key: "device_name", value: "Pump 2")])
        #expect(handoff.take(ifNewerThan: &seen) == nil, "handed over once")

        try "dev-1: [broken]\n".write(to: path, atomically: true, encoding: .utf8)
        handoff.reload()
        #expect(handoff.take(ifNewerThan: &seen) == nil, "a broken file is not handed over")
        #expect(handoff.current.devices["dev-1"] == [.init(key: "location", value: "roof")])
    }
}
