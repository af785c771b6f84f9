// iotflow-bridge: the built binary's `status --url` against the admin endpoint over a double.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import BridgeTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

@Suite(.serialized, .timeLimit(.minutes(1)))
struct StatusCommandTests {
    @Test(arguments: [(HealthStatus.pass, Int32(0)), (.warn, 1), (.fail, 2)])
    func exitCodeFollowsTheVerdict(status: HealthStatus, code: Int32) async throws {
        let server = try await AdminHTTPServer.start(
            address: ListenAddress(host: "127.0.0.1", port: 0),
            responder: AdminResponder(
                source: FakeObservabilitySource(status: status),
                defaultStaleAfter: .seconds(600)
            ),
            logger: Logger(label: "test")
        )
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        try await withThrowingTaskGroup { tasks in
            tasks.addTask { try await group.run() }
            let (exit, output) = try await runProgram(
                try Integration.product("iotflow-bridge"),
                ["status", "--url", "http://\(server.localAddress)"]
            )
            #expect(exit == code, "\(output)")
            #expect(output.contains("iotflow-bridge test: \(status.rawValue.uppercased())"), "\(output)")
            #expect(output.contains("influx is \(status.rawValue) (version 1.6.7)"))
            #expect(output.contains("dev-quiet"))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func anUnreachableBridgeIsExitCode2WithOneLine() async throws {
        let port = FreePort.next()
        let (exit, output) = try await runProgram(
            try Integration.product("iotflow-bridge"),
            ["status", "--url", "http://127.0.0.1:\(port)"]
        )
        #expect(exit == 2)
        #expect(output.hasPrefix("iotflow-bridge status: cannot reach http://127.0.0.1:\(port)/health"), "\(output)")
        #expect(output.split(separator: "\n").count == 1)
    }

    @Test func aReplyThatIsNotTheBridgesJSONIsExitCode2() async throws {
        let server = try FakeInfluxServer { _ in FakeResponse(status: 200, body: "<html>hello</html>") }
        defer { server.stop() }
        let (exit, output) = try await runProgram(
            try Integration.product("iotflow-bridge"),
            ["status", "--url", server.baseURL.absoluteString]
        )
        #expect(exit == 2)
        #expect(output.contains("is not the bridge's JSON"), "\(output)")
    }
}
