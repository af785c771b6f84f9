// iotflow-bridge: the libcurl transport: failover between URLs on no reply, gzip bodies.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import BridgeCore
import BridgeTestSupport
import Foundation
import InMemoryLogging
import Logging
import Testing

/// The sinks copy InfluxDB 1.x's `/write`: 204 for a stored body. A port nothing listens on
/// stands for a server that is down: the connection is refused, so no reply comes.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct CurlInfluxTransportTests {
    private func transport(
        url: String,
        failoverURLs: [String] = [],
        gzip: Bool = false
    ) throws -> (
        CurlInfluxTransport, InMemoryLogHandler
    ) {
        let logs = InMemoryLogHandler()
        let configuration = InfluxConfiguration(
            api: .v1,
            url: url,
            failoverURLs: failoverURLs,
            timeout: .seconds(5),
            connectTimeout: .seconds(2),
            gzip: gzip
        )
        return (
            try CurlInfluxTransport(configuration: configuration, logger: Logger(label: "test") { _ in logs }), logs
        )
    }

    @Test func noReplyFailsOverToTheNextURLAndStaysThere() async throws {
        let down = "http://127.0.0.1:\(FreePort.next())"
        let sink = try FakeInfluxServer()
        defer { sink.stop() }
        let (transport, logs) = try transport(url: down, failoverURLs: [sink.baseURL.absoluteString])

        let first = transport.write(ArraySlice("m,device_id=a v=1 1\n".utf8))
        guard case .retryable(nil, _) = first else {
            Issue.record("a refused connection is a retryable failure without a status, got \(first)")
            return
        }
        #expect(logs.entries.contains { $0.message.description == "No reply from InfluxDB; failing over." })
        #expect(sink.requests.isEmpty)

        for value in 2...3 {
            #expect(transport.write(ArraySlice("m,device_id=a v=\(value) \(value)\n".utf8)) == .accepted)
        }
        let requests = try await sink.waitForRequests(count: 2)
        #expect(requests.map(\.path) == ["/write", "/write"])
        #expect(requests.map(\.decodedBody) == ["m,device_id=a v=2 2\n", "m,device_id=a v=3 3\n"])
    }

    @Test func withOneURLNoReplyIsRetriedAtTheSameURL() async throws {
        let port = FreePort.next()
        let (transport, logs) = try transport(url: "http://127.0.0.1:\(port)")
        guard case .retryable(nil, _) = transport.write(ArraySlice("m v=1 1\n".utf8)) else {
            Issue.record("expected a retryable failure without a status")
            return
        }
        #expect(!logs.entries.contains { $0.message.description.contains("failing over") })
        let sink = try FakeInfluxServer(port: port)
        defer { sink.stop() }
        #expect(transport.write(ArraySlice("m v=2 2\n".utf8)) == .accepted)
        #expect(try await sink.waitForRequests(count: 1).map(\.decodedBody) == ["m v=2 2\n"])
    }

    @Test func gzipSendsACompressedBodyTheServerCanRead() async throws {
        let sink = try FakeInfluxServer()
        defer { sink.stop() }
        let (transport, _) = try transport(url: sink.baseURL.absoluteString, gzip: true)
        let body = String(repeating: "m,device_id=a v=1 1\n", count: 200)
        #expect(transport.write(ArraySlice(body.utf8)) == .accepted)
        let request = try #require(try await sink.waitForRequests(count: 1).first)
        #expect(request.headers["content-encoding"] == "gzip")
        #expect(request.body.count < body.utf8.count / 4)
        #expect(request.decodedBody == body)
    }
}
