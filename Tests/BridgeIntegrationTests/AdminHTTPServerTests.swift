// iotflow-bridge: the admin HTTP endpoint on loopback: routes, bounds, keep-alive, shutdown.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import Foundation
import Logging
import ServiceLifecycle
import Testing

@Suite(.serialized, .timeLimit(.minutes(1)))
struct AdminHTTPServerTests {
    /// Runs a server over `source` on a kernel-chosen port for the duration of `body`, then
    /// stops it gracefully and waits for `run()` to return.
    private func withServer(
        _ source: FakeObservabilitySource = FakeObservabilitySource(),
        limits: AdminHTTPServer.Limits = .init(),
        _ body: (AdminHTTPServer, ServiceGroup) async throws -> Void
    ) async throws {
        let server = try await AdminHTTPServer.start(
            address: ListenAddress(host: "127.0.0.1", port: 0),
            responder: AdminResponder(source: source, defaultStaleAfter: .seconds(600)),
            limits: limits,
            logger: Logger(label: "test")
        )
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        try await withThrowingTaskGroup { tasks in
            tasks.addTask { try await group.run() }
            try await body(server, group)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func metricsAreThePrometheusText() async throws {
        try await withServer { server, _ in
            let connection = try RawHTTPConnection(port: server.localAddress.port)
            try connection.request("/metrics")
            let reply = try await connection.reply()
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(reply.body.contains("iotflow_bridge_messages_received_total 42"))
        }
    }

    @Test(arguments: [(HealthStatus.pass, 200), (.warn, 200), (.fail, 503)])
    func healthIsJSONWithTheStatusItsVerdictCalls(status: HealthStatus, code: Int) async throws {
        try await withServer(FakeObservabilitySource(status: status)) { server, _ in
            let connection = try RawHTTPConnection(port: server.localAddress.port)
            try connection.request("/health")
            let reply = try await connection.reply()
            #expect(reply.status == code)
            #expect(reply.headers["content-type"] == "application/json")
            let report = try JSONDecoder().decode(HealthReport.self, from: Data(reply.body.utf8))
            #expect(report.status == status)
            #expect(reply.body.contains("\"buffered_points\":0"))
        }
    }

    @Test(arguments: [(true, 200, "ready\n"), (false, 503, "not ready\n")])
    func readyAnswersTheSourcesReadiness(ready: Bool, code: Int, text: String) async throws {
        try await withServer(FakeObservabilitySource(isReady: ready)) { server, _ in
            let connection = try RawHTTPConnection(port: server.localAddress.port)
            try connection.request("/ready")
            let reply = try await connection.reply()
            #expect(reply.status == code && reply.body == text)
        }
    }

    @Test func devicesTakeStaleOrTheConfiguredDefaultAndRefuseABadOne() async throws {
        let source = FakeObservabilitySource()
        try await withServer(source) { server, _ in
            let connection = try RawHTTPConnection(port: server.localAddress.port)
            try connection.request("/devices?stale=30s")
            let given = try await connection.reply()
            #expect(given.status == 200 && given.headers["content-type"] == "application/json")
            let listing = try JSONDecoder().decode(DeviceListing.self, from: Data(given.body.utf8))
            #expect(listing.devices.map(\.deviceID) == ["dev-quiet"])
            try connection.request("/devices")
            #expect(try await connection.reply().status == 200)
            try connection.request("/devices?stale=soon")
            let bad = try await connection.reply()
            #expect(bad.status == 400 && bad.body.hasPrefix("stale must be a duration"))
        }
        #expect(source.askedSilences == [.seconds(30), .seconds(600)])
    }

    @Test func headAnnouncesTheLengthWithoutABodyAndTheConnectionStaysUsable() async throws {
        try await withServer { server, _ in
            let connection = try RawHTTPConnection(port: server.localAddress.port)
            try connection.request("/ready", method: "HEAD")
            let head = try await connection.reply(hasBody: false)
            #expect(head.status == 200 && head.headers["content-length"] == "6")
            // Had HEAD sent a body, this reply would start with "ready\n" and not parse as 200.
            try connection.request("/ready")
            let get = try await connection.reply()
            #expect(get.status == 200 && get.body == "ready\n")
        }
    }

    @Test func otherMethodsAre405WithAllowAndUnknownPaths404() async throws {
        try await withServer { server, _ in
            let connection = try RawHTTPConnection(port: server.localAddress.port)
            try connection.request("/metrics", method: "POST", headers: "Content-Length: 0\r\n")
            let post = try await connection.reply()
            #expect(post.status == 405 && post.headers["allow"] == "GET, HEAD")
            try connection.request("/nothing-here")
            #expect(try await connection.reply().status == 404)
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withServer { server, _ in
            let connection = try RawHTTPConnection(port: server.localAddress.port)
            try connection.request("/ready", headers: "Connection: close\r\n")
            #expect(try await connection.reply().status == 200)
            #expect(try await connection.isClosedByServer())
        }
    }

    @Test func anOversizedHeadIsRefusedAndClosed() async throws {
        try await withServer { server, _ in
            let connection = try RawHTTPConnection(port: server.localAddress.port)
            try connection.request("/metrics", headers: "X-Filler: \(String(repeating: "a", count: 10_000))\r\n")
            let reply = try await connection.reply()
            #expect(reply.status == 400 || reply.status == 431)
            #expect(try await connection.isClosedByServer())
        }
    }

    @Test func aBodyOverTheLimitClosesTheConnection() async throws {
        var limits = AdminHTTPServer.Limits()
        limits.maxBodyBytes = 100
        try await withServer(limits: limits) { server, _ in
            let connection = try RawHTTPConnection(port: server.localAddress.port)
            try connection.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            try connection.send(String(repeating: "b", count: 1000))
            #expect(try await connection.isClosedByServer())
        }
    }

    @Test func connectionsPastTheLimitAreClosedAndIdleOnesTimeOut() async throws {
        var limits = AdminHTTPServer.Limits()
        limits.maxConnections = 2
        limits.idleTimeout = .seconds(1)
        try await withServer(limits: limits) { server, _ in
            let first = try RawHTTPConnection(port: server.localAddress.port)
            let second = try RawHTTPConnection(port: server.localAddress.port)
            try first.request("/ready")
            try second.request("/ready")
            #expect(try await first.reply().status == 200)
            #expect(try await second.reply().status == 200)
            let third = try RawHTTPConnection(port: server.localAddress.port)
            try? third.request("/ready")
            #expect(try await third.isClosedByServer())
            // No traffic on the first for the idle timeout: the server closes it.
            #expect(try await first.isClosedByServer())
        }
    }

    @Test func aPortInUseIsAnErrorNamingTheAddress() async throws {
        try await withServer { server, _ in
            let error = await #expect(throws: BridgeError.self) {
                _ = try await AdminHTTPServer.start(
                    address: server.localAddress,
                    responder: AdminResponder(source: FakeObservabilitySource(), defaultStaleAfter: .seconds(600)),
                    logger: Logger(label: "test")
                )
            }
            #expect(error?.description.contains("\(server.localAddress)") == true)
        }
    }

    @Test func gracefulShutdownFinishesTheReplyInFlightThenCloses() async throws {
        let gate = ReadinessEvent()
        let source = FakeObservabilitySource(healthGate: gate)
        try await withServer(source) { server, group in
            let busy = try RawHTTPConnection(port: server.localAddress.port)
            let idle = try RawHTTPConnection(port: server.localAddress.port)
            try idle.request("/ready")
            #expect(try await idle.reply().status == 200)
            try busy.request("/health")
            await source.healthAsked.wait()
            await group.triggerGracefulShutdown()
            // The idle connection is closed; the busy one still gets its whole reply.
            #expect(try await idle.isClosedByServer())
            gate.fire()
            let reply = try await busy.reply()
            #expect(reply.status == 200 && reply.body.contains("\"influxdb\""))
            #expect(try await busy.isClosedByServer())
            #expect(throws: (any Error).self) { _ = try RawHTTPConnection(port: server.localAddress.port) }
        }
    }
}
