// iotflow-bridge: the built binary's dead-letters replay against a fake InfluxDB.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(1)))
struct DeadLetterReplayTests {
    /// The sink copies InfluxDB 2.x: 204, or 400 `{"code":"invalid",…}` for a request with a bad line.
    @Test func replayStoresWhatNowFitsAndKeepsWhatIsStillRefused() async throws {
        let sink = try FakeInfluxServer { request in
            request.decodedBody.contains("still-bad")
                ? .v2Error(status: 400, code: "invalid", message: "unable to parse 'still-bad'") : .noContent
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString).jsonl")
            .path
        try """
        {"time":"2026-11-22T10:00:00.000000000Z","reason":"field type conflict","status":400,"line":"m,device_id=a v=1 1"}
        {"time":"2026-11-22T10:00:00.000000000Z","reason":"field type conflict","status":400,"line":"m,device_id=b v=2 2"}
        {"time":"2026-11-22T10:00:00.000000000Z","reason":"unable to parse","status":400,"line":"still-bad"}

        """.write(toFile: file, atomically: true, encoding: .utf8)
        let (status, output) = try await runProgram(
            try Integration.product("iotflow-bridge"),
            ["dead-letters", "replay", file],
            environment: ["INFLUXDB_URL": sink.baseURL.absoluteString]
        )
        #expect(
            status == 1 && output.contains("replayed 3 lines: 2 stored, 1 rejected again (in \(file).rejected)"),
            "\(output)"
        )
        let stored = Set(
            sink.requests.filter { !$0.decodedBody.contains("still-bad") }.flatMap(\.lines).map(String.init)
        )
        #expect(stored == ["m,device_id=a v=1 1", "m,device_id=b v=2 2"])
        let again = try String(contentsOfFile: file + ".rejected", encoding: .utf8)
        #expect(again.contains(#""line":"still-bad""#) && again.contains("unable to parse 'still-bad'"))
    }
}
