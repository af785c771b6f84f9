// iotflow-bridge: `mapping.routes` entries: parsing, and which subscription filters can feed them.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct RouteTests {
    @Test func routesOverlapSubscriptionFilters() throws {
        let route = try Route.parse("iotflow/devices/{device_id}/telemetry/{measurement}").get()
        #expect(route.overlaps(filter: "iotflow/devices/+/telemetry/+"))
        #expect(route.overlaps(filter: "$share/bridges/iotflow/devices/+/telemetry/+"))
        #expect(route.overlaps(filter: "iotflow/#") && route.overlaps(filter: "#"))
        #expect(route.overlaps(filter: "iotflow/devices/dev-1/telemetry/power"))
        #expect(!route.overlaps(filter: "iotflow/devices/+/status/+"))
        #expect(!route.overlaps(filter: "iotflow/devices/+/telemetry"))
        #expect(!route.overlaps(filter: "iotflow/devices/+/telemetry/+/x"))
        let fixed = try Route.parse("iotflow/devices/{device_id}/status/{_} -> device_status").get()
        #expect(fixed.measurement == "device_status" && fixed.overlaps(filter: "iotflow/devices/+/status/+"))
    }

    @Test(arguments: [
        "iotflow/devices/{device_id}/status/{_} -> ",
        "iotflow/devices/{device_id}/status/{_} -> two words",
        "iotflow/devices/{device_id}/{measurement} -> fixed",
        "iotflow/devices/{device_id}/status",
    ])
    func refusesEntriesWithoutOneUsableMeasurement(_ entry: String) {
        guard case .failure(let error) = Route.parse(entry) else {
            Issue.record("\(entry) parsed")
            return
        }
        #expect(error.route == entry)
    }
}
