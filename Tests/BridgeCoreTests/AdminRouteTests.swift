// iotflow-bridge: which answer the admin endpoint gives to each method and target.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct AdminRouteTests {
    @Test(arguments: [
        ("GET", "/metrics", AdminRoute.metrics),
        ("HEAD", "/metrics", .metrics),
        ("GET", "/health", .health),
        ("GET", "/health?verbose=1", .health),
        ("GET", "/ready", .ready),
        ("GET", "/devices", .devices(stale: nil)),
        ("GET", "/devices?stale=10m", .devices(stale: .seconds(600))),
        ("GET", "/devices?x=1&stale=30s", .devices(stale: .seconds(30))),
        ("GET", "/devices?stale=1500", .devices(stale: .milliseconds(1500))),
        ("GET", "/devices?stale=0s", .devices(stale: .zero)),
        ("POST", "/metrics", .methodNotAllowed),
        ("DELETE", "/devices", .methodNotAllowed),
        ("GET", "/", .notFound),
        ("GET", "/metrics/", .notFound),
        ("POST", "/nothing", .notFound),
    ])
    func routes(method: String, target: String, route: AdminRoute) {
        #expect(AdminRoute(method: method, target: target) == route)
    }

    @Test(arguments: [
        "/devices?stale=soon", "/devices?stale=", "/devices?stale", "/devices?stale=-5m",
    ])
    func aBadStaleIsABadRequestThatSaysWhy(target: String) throws {
        guard case .badRequest(let reason) = AdminRoute(method: "GET", target: target) else {
            Issue.record("\(target) was not a bad request")
            return
        }
        #expect(reason.hasPrefix("stale must be a duration"))
        #expect(!reason.contains("\n"))
    }

    @Test func aLongBadValueIsCutInTheReason() throws {
        let target = "/devices?stale=" + String(repeating: "x", count: 500)
        guard case .badRequest(let reason) = AdminRoute(method: "GET", target: target) else {
            Issue.record("not a bad request")
            return
        }
        #expect(reason.count < 200)
    }
}
