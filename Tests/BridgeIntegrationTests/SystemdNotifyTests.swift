// iotflow-bridge: the built binary under a fake $NOTIFY_SOCKET: READY, STATUS, RELOADING, READY,
// STOPPING in order, WATCHDOG at WATCHDOG_USEC/2, and no WATCHDOG while the writer hangs.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Glibc
import Testing

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(3)))
struct SystemdNotifyTests {
    /// The WATCHDOG messages that arrived in `window`.
    private func pings(_ socket: FakeNotifySocket, in window: Range<ContinuousClock.Instant>) -> Int {
        socket.messages.filter { $0.has("WATCHDOG=1") && window.contains($0.receivedAt) }.count
    }

    @Test func notifiesReadinessReloadStopAndPingsOnlyWhileBothLoopsProgress() async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        let sink = try FakeInfluxServer()
        let socket = try FakeNotifySocket()
        defer { socket.stop() }
        // WATCHDOG_USEC 400 ms: pings every 200 ms; no WATCHDOG_PID, so sd_watchdog_enabled accepts
        // it for any process. A 20 s request timeout lets a held reply hang the writer for 9 s.
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: sink.baseURL.absoluteString,
            extra: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000", "INFLUXDB_TIMEOUT": "20s"]
        )
        try await bridge.start()
        try await eventually(timeout: .seconds(30), "READY=1") { socket.messages.contains { $0.has("READY=1") } }

        // Cadence: a ping every 200 ms, about 15 in 3 s. The window is measured, since the sleep can
        // overrun on a loaded machine; the bounds allow late ticks, never more than one per 200 ms.
        var from = ContinuousClock.now
        try await Task.sleep(for: .seconds(3))
        let window = ContinuousClock.now - from
        let steady = pings(socket, in: from..<(from + window))
        let ticks = Int(window / .milliseconds(200))
        #expect((ticks / 3...ticks + 2).contains(steady), "\(steady) pings in \(window)")

        let pid = try #require(bridge.pid)
        #expect(kill(pid, SIGHUP) == 0)
        try await eventually(timeout: .seconds(30), "READY=1 after RELOADING=1") {
            let kinds = socket.messages.filter { !$0.has("WATCHDOG=1") }
            guard let reloading = kinds.firstIndex(where: { $0.has("RELOADING=1") }) else { return false }
            return kinds[reloading...].contains { $0.has("READY=1") }
        }

        // Hold the writer: the next write's reply comes 9 s late. Its loop stops beating, and
        // after the 3 s window (WatchdogGate.minimumStaleAfter) the pings stop until the reply.
        sink.responder = { request in
            request.path == "/write" ? FakeResponse(status: 204).delayed(by: .seconds(9)) : FakeResponse(status: 204)
        }
        let writesBefore = sink.requests.filter { $0.path == "/write" }.count
        try await publish(port: broker.port, devices: 2, count: 10)
        try await eventually(timeout: .seconds(30), "the held write") {
            sink.requests.filter { $0.path == "/write" }.count > writesBefore
        }
        let held = try #require(sink.requests.last { $0.path == "/write" }).receivedAt
        try await Task.sleep(until: held + .seconds(8), clock: .continuous)
        let whileHeld = pings(socket, in: (held + .milliseconds(4500))..<(held + .seconds(8)))
        #expect(whileHeld == 0, "\(whileHeld) pings while the writer was held")
        try await eventually(timeout: .seconds(30), "pings after the reply") {
            let now = ContinuousClock.now
            return now > held + .seconds(9) && pings(socket, in: (held + .seconds(9))..<now) >= 3
        }
        #expect(bridge.logText.contains("Watchdog pings withheld"), "\(bridge.logText)")
        #expect(bridge.logText.contains("watchdog.stalled=writer"))
        #expect(bridge.logText.contains("Watchdog pings resumed"))

        from = ContinuousClock.now
        #expect(await bridge.terminate().status == 0)
        let kinds = socket.messages.filter { !$0.has("WATCHDOG=1") }
        let order = kinds.compactMap { message in
            ["READY=1", "RELOADING=1", "STOPPING=1"].first { message.has($0) }
        }
        #expect(order == ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"], "\(kinds.map(\.fields))")
        let reload = try #require(kinds.first { $0.has("RELOADING=1") })
        #expect(reload.has(prefix: "MONOTONIC_USEC="))
        let firstReady = try #require(kinds.firstIndex { $0.has("READY=1") })
        #expect(kinds[firstReady].has(prefix: "STATUS=MQTT connected; "), "\(kinds[firstReady].fields)")
        #expect(kinds.contains { $0.has(prefix: "STATUS=Stopping: ") && $0.receivedAt >= from })
    }

    @Test func aDrainThatMakesProgressExtendsTheStopTimeout() async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        // 10 points a request, each answered after 150 ms: 300 points take about 4.5 s to drain.
        let sink = try FakeInfluxServer { request in
            request.path == "/write"
                ? FakeResponse(status: 204).delayed(by: .milliseconds(150)) : FakeResponse(status: 204)
        }
        let socket = try FakeNotifySocket()
        defer { socket.stop() }
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: sink.baseURL.absoluteString,
            extra: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000", "INFLUXDB_BATCH_SIZE": "10"]
        )
        try await bridge.start()
        try await publish(port: broker.port, devices: 3, count: 300)
        #expect(await bridge.terminate().status == 0)

        let messages = socket.messages
        let stopping = try #require(messages.firstIndex { $0.has("STOPPING=1") })
        let extensions = messages[stopping...].filter { $0.has(prefix: "EXTEND_TIMEOUT_USEC=") }
        #expect(!extensions.isEmpty, "\(messages[stopping...].map(\.fields))")
        #expect(extensions.allSatisfy { $0.has("EXTEND_TIMEOUT_USEC=3000000") })
        #expect(messages[..<stopping].allSatisfy { !$0.has(prefix: "EXTEND_TIMEOUT_USEC=") })
    }
}
