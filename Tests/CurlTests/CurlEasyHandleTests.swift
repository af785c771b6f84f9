// iotflow-bridge: real libcurl against the loopback fake sink.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Curl
import Testing

private let bootstrap: Void = CurlLibrary.initialize()

@Suite(.serialized, .timeLimit(.minutes(1))) struct CurlEasyHandleTests {
    init() {
        _ = bootstrap
    }

    @Test func postsGzipBodiesWithHeadersAndReusesTheConnection() async throws {
        let server = try FakeInfluxServer()
        let handle = try CurlEasyHandle()
        var body: [UInt8] = []
        Gzip.compress(Array("m,device_id=d v=1 1\n".utf8), into: &body)
        for _ in 0..<2 {
            let response = try handle.post(
                url: "\(server.baseURL)/api/v3/write_lp?db=d",
                headers: ["Content-Encoding: gzip", "Authorization: Bearer t"],
                body: body,
                timeout: .seconds(5),
                connectTimeout: .seconds(1)
            )
            #expect(response.status == 204)
        }
        let requests = try await server.waitForRequests(count: 2)
        #expect(requests.allSatisfy { $0.method == "POST" && $0.path == "/api/v3/write_lp" && $0.query == ["db": "d"] })
        #expect(requests[0].headers["authorization"] == "Bearer t" && requests[0].headers["content-encoding"] == "gzip")
        #expect(requests[0].headers["expect"] == nil)
        #expect(requests[0].decodedBody == "m,device_id=d v=1 1\n")
        #expect(requests[0].connectionID == requests[1].connectionID)
    }

    @Test func returnsErrorBodiesAndRetryAfter() async throws {
        let server = try FakeInfluxServer { _ in .retryAfter(status: 503, seconds: 7) }
        let response = try CurlEasyHandle().post(
            url: "\(server.baseURL)/write",
            headers: [],
            body: Array("x".utf8),
            timeout: .seconds(5),
            connectTimeout: .seconds(1)
        )
        #expect(response.status == 503 && response.retryAfterSeconds == 7)

        server.responder = { _ in .v1Error(status: 400, message: "partial write: field type conflict") }
        let rejected = try CurlEasyHandle().post(
            url: "\(server.baseURL)/write",
            headers: [],
            body: [],
            timeout: .seconds(5),
            connectTimeout: .seconds(1)
        )
        #expect(
            rejected.status == 400 && rejected.bodyText.contains("field type conflict")
                && rejected.retryAfterSeconds == nil
        )
    }

    @Test func noReplyIsAThrownErrorNotAStatus() throws {
        let closedPort = FreePort.next()
        #expect(throws: CurlError.self) {
            try CurlEasyHandle().post(
                url: "http://127.0.0.1:\(closedPort)/write",
                headers: [],
                body: [],
                timeout: .seconds(2),
                connectTimeout: .seconds(1)
            )
        }
    }

    @Test func slowRepliesTimeOut() throws {
        let server = try FakeInfluxServer { _ in FakeResponse.noContent.delayed(by: .seconds(5)) }
        let error = #expect(throws: CurlError.self) {
            try CurlEasyHandle().post(
                url: "\(server.baseURL)/write",
                headers: [],
                body: [],
                timeout: .milliseconds(300),
                connectTimeout: .seconds(1)
            )
        }
        #expect(error?.isTimeout == true)
    }
}
