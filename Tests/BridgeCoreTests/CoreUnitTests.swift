// iotflow-bridge: the small pure pieces: JSON numbers, timestamps, templates, ring, dead letters.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct JSONParserTests {
    @Test func integersAreExactAndOthersAreDoubles() throws {
        let value = try JSONParser().parse(
            Array(#"[0, -0, 1735732800123456789, -9223372036854775808, 9223372036854775808, 1.25, 2e2]"#.utf8)
        )
        guard case .array(let items) = value else {
            Issue.record("not an array")
            return
        }
        let numbers = items.compactMap { item -> JSONNumber? in if case .number(let n) = item { n } else { nil } }
        #expect(numbers.map(\.exactInteger) == [0, 0, 1_735_732_800_123_456_789, .min, nil, nil, nil])
        #expect(
            numbers[4].double == 9_223_372_036_854_775_808.0 && numbers[5].double == 1.25 && numbers[6].double == 200
        )
    }

    @Test func keepsMemberOrderAndDuplicates() throws {
        let value = try JSONParser().parse(Array(#"{"b": 1, "a": {"x": [true, null]}, "b": "s"}"#.utf8))
        let expected = JSONValue.object([
            (key: "b", value: .number(JSONNumber(double: 1, exactInteger: 1))),
            (key: "a", value: .object([(key: "x", value: .array([.bool(true), .null]))])),
            (key: "b", value: .string("s")),
        ])
        #expect(value == expected)
    }

    @Test func rejectsInvalidUTF8InStrings() {
        #expect(throws: JSONParsingError.invalidUTF8(offset: 2)) {
            try JSONParser().parse([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])
        }
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("1969-12-31T23:59:59Z", -1_000_000_000),
        ("2000-02-29T00:00:00z", 951_782_400_000_000_000),
        ("2024-01-01 12:00:00+00:00", 1_704_110_400_000_000_000),
        ("2024-01-01T12:00:00.1234567891Z", 1_704_110_400_123_456_789),
        ("2262-04-11T23:47:16.854775807Z", Int64.max),
    ])
    func parsesRFC3339(text: String, nanoseconds: Int64) {
        #expect(Timestamp.nanoseconds(rfc3339: text) == nanoseconds)
    }

    @Test(arguments: [
        "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00Z",
        "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00+0200", "2262-04-12T00:00:00Z", "x",
    ])
    func refusesInvalidRFC3339(text: String) {
        #expect(Timestamp.nanoseconds(rfc3339: text) == nil)
    }

    @Test func epochValuesBeyondTheNanosecondRangeAreRefused() {
        // 99,999,999,999 s (year 5138) is seconds by magnitude, and too late for int64 nanoseconds.
        #expect(Timestamp.nanoseconds(epoch: JSONNumber(double: 99_999_999_999, exactInteger: 99_999_999_999)) == nil)
        #expect(Timestamp.nanoseconds(epoch: JSONNumber(double: 1e300)) == nil)
    }

    @Test func epochUnitsAreToldApartByMagnitude() {
        func ns(_ value: Int64) -> Int64? {
            Timestamp.nanoseconds(epoch: JSONNumber(double: Double(value), exactInteger: value))
        }
        #expect(ns(1_735_732_800) == 1_735_732_800_000_000_000)
        #expect(ns(1_735_732_800_000) == 1_735_732_800_000_000_000)
        #expect(ns(1_735_732_800_000_000) == 1_735_732_800_000_000_000)
        #expect(ns(1_735_732_800_000_000_000) == 1_735_732_800_000_000_000)
        #expect(ns(0) == 0)
    }
}

@Suite struct TopicTemplateTests {
    @Test(arguments: [
        ("iotflow/devices/{device_id}/telemetry", TemplateError.missingMeasurement),
        ("a/{Device}/{measurement}", .invalidName("Device")),
        ("a/{time}/{measurement}", .invalidName("time")),
        ("{x}/{x}/{measurement}", .duplicateName("x")),
        ("a//{measurement}", .invalidLevel("")),
        ("a/#/{measurement}", .invalidLevel("#")),
    ])
    func refusesUnusableTemplates(text: String, error: TemplateError) {
        #expect(TopicTemplate.parse(text) == .failure(error))
    }
}

@Suite struct PointRingTests {
    private func append(_ ring: inout PointRing, _ lines: [String]) -> Bool {
        let bytes = Array(lines.joined().utf8)
        let lengths = lines.map { UInt32($0.utf8.count) }
        return bytes.withUnsafeBufferPointer { b in
            lengths.withUnsafeBufferPointer { ring.append(lines: b, lineLengths: $0) }
        }
    }

    private func front(_ ring: PointRing, maxPoints: Int, maxBytes: Int) -> String {
        var output: [UInt8] = []
        var lengths: [Int] = []
        let batch = ring.copyFrontBatch(maxPoints: maxPoints, maxBytes: maxBytes, into: &output, lineLengths: &lengths)
        #expect(lengths.count == batch.points && lengths.reduce(0, +) == batch.bytes && output.count == batch.bytes)
        return String(decoding: output, as: UTF8.self)
    }

    @Test func batchesComeFromTheFrontInOrderAndStayUntilRemoved() {
        var ring = PointRing(capacityBytes: 64)
        #expect(append(&ring, ["a 1\n", "bb 2\n"]))
        #expect(append(&ring, ["ccc 3\n"]))
        #expect(front(ring, maxPoints: 2, maxBytes: 100) == "a 1\nbb 2\n")
        #expect(front(ring, maxPoints: 10, maxBytes: 9) == "a 1\nbb 2\n")
        #expect(front(ring, maxPoints: 10, maxBytes: 8) == "a 1\n")
        #expect(ring.pointCount == 3 && ring.byteCount == 15)
        ring.removeFront(points: 2, bytes: 9)
        #expect(front(ring, maxPoints: 10, maxBytes: 1) == "ccc 3\n")  // an oversized point goes alone
    }

    @Test func refusesWhatDoesNotFitAndWrapsAround() {
        var ring = PointRing(capacityBytes: 10)
        #expect(append(&ring, ["aaaa\n"]))
        #expect(!append(&ring, ["bbbbbb\n"]))
        #expect(ring.pointCount == 1)
        for round in 0..<50 {
            #expect(append(&ring, ["x\(round % 10)\n"]))
            ring.removeFront(points: 1, bytes: ring.frontBatch(maxPoints: 1, maxBytes: 100).bytes)
        }
        #expect(front(ring, maxPoints: 10, maxBytes: 100) == "x9\n")
    }
}

@Suite struct DeadLetterTests {
    @Test func encodesOneJSONLineAndReadsItBack() {
        let letter = DeadLetter(
            time: 1_704_110_400_123_456_789,
            reason: "field type conflict: \"v\"\n",
            status: 400,
            line: #"environment,device_id=dev\ 1,site=x v=true 1"#
        )
        #expect(letter.device == "dev 1")
        #expect(
            letter.jsonLine
                == #"{"time":"2024-01-01T12:00:00.123456789Z","reason":"field type conflict: \"v\"\n","status":400,"#
                + #""device":"dev 1","line":"environment,device_id=dev\\ 1,site=x v=true 1"}"# + "\n"
        )
        #expect(DeadLetter(jsonLine: letter.jsonLine) == letter)
        #expect(DeadLetter(jsonLine: "not json") == nil)
    }

    @Test func refusedMessagesKeepTopicAndPayloadTextOrBase64() {
        let text = DeadLetter(
            time: 0,
            reason: "malformed_json",
            topic: "iotflow/devices/d/telemetry/m",
            payload: Array("{oops".utf8)
        )
        #expect(text.jsonLine.contains(#""topic":"iotflow/devices/d/telemetry/m","payload":"{oops""#))
        #expect(DeadLetter(jsonLine: text.jsonLine) == text)
        let binary = DeadLetter(time: 0, reason: "invalid_utf8", topic: "t", payload: [0xFF, 0x00, 0x7B])
        #expect(binary.jsonLine.contains(#""payload_base64":"/wB7""#))
        #expect(DeadLetter(jsonLine: binary.jsonLine) == binary)
    }

    @Test(arguments: [[UInt8](), [0], [1, 2], [1, 2, 3], Array("user:pa ss".utf8), Array(0...255)])
    func base64RoundTrips(bytes: [UInt8]) {
        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }

    @Test func base64MatchesRFC4648() {
        #expect(
            ["", "f", "fo", "foo", "foob", "fooba", "foobar"].map { Base64.encode(Array($0.utf8)) }
                == ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"]
        )
        #expect(Base64.decode("Zm9v=") == nil && Base64.decode("Zm=v") == nil && Base64.decode("Z!9v") == nil)
    }

    @Test(arguments: [Int64(0), -1, 1_735_732_800_000_000_000, .max, -9_000_000_000_000_000_000])
    func rfc3339RoundTrips(nanoseconds: Int64) {
        #expect(Timestamp.nanoseconds(rfc3339: Timestamp.rfc3339(nanoseconds: nanoseconds)) == nanoseconds)
    }
}

@Suite struct InfluxEndpointTests {
    @Test func v1UsesDatabaseRetentionPolicyAndBasicAuth() {
        let endpoint = InfluxEndpoint(
            configuration: InfluxConfiguration(
                api: .v1,
                url: "http://db:8086/",
                database: "iot data",
                retentionPolicy: "a&b",
                username: "u",
                password: Secret("p:w"),
                gzip: false
            )
        )
        #expect(endpoint.url == "http://db:8086/write?db=iot%20data&rp=a%26b&precision=ns")
        #expect(endpoint.headers == ["Content-Type: text/plain; charset=utf-8", "Authorization: Basic dTpwOnc="])
    }

    @Test func v2UsesOrgBucketAndToken() {
        let endpoint = InfluxEndpoint(
            configuration: InfluxConfiguration(api: .v2, org: "o", bucket: "b", token: Secret("t"))
        )
        #expect(endpoint.url == "http://127.0.0.1:8086/api/v2/write?org=o&bucket=b&precision=ns")
        #expect(
            endpoint.headers.contains("Authorization: Token t") && endpoint.headers.contains("Content-Encoding: gzip")
        )
    }

    @Test func v3UsesBearer() {
        let endpoint = InfluxEndpoint(
            configuration: InfluxConfiguration(api: .v3, url: "https://h", database: "d", token: Secret("t"))
        )
        #expect(endpoint.url == "https://h/api/v3/write_lp?db=d&precision=ns&accept_partial=true")
        #expect(endpoint.headers.contains("Authorization: Bearer t"))
    }
}

@Suite struct SmallPieceTests {
    @Test(arguments: [
        ("10s", Duration.seconds(10)), ("250ms", .milliseconds(250)), ("5000", .seconds(5)),
        (" 5m ", .seconds(300)), ("1h", .seconds(3600)),
    ])
    func parsesDurations(text: String, duration: Duration) {
        #expect(ConfigDuration.parse(text) == duration)
    }

    @Test(arguments: ["", "s", "1.5s", "-1s", "10 s", "10d"])
    func refusesDurations(text: String) {
        #expect(ConfigDuration.parse(text) == nil)
    }

    @Test func formatsDurationsShortest() {
        #expect(
            [Duration.seconds(10), .milliseconds(1500), .seconds(120), .seconds(7200), .zero].map(ConfigDuration.format)
                == ["10s", "1500ms", "2m", "2h", "0s"]
        )
    }

    @Test func rateLimiterAdmitsABurstPerWindowAndReportsSuppressed() {
        var limiter = LogRateLimiter(burst: 2, window: .seconds(10))
        let start = ContinuousClock.now
        let first = (0..<5).map { limiter.admit(at: start + .seconds($0)).admitted }
        #expect(first == [true, true, false, false, false])
        let later = limiter.admit(at: start + .seconds(11))
        #expect(later.admitted && later.suppressedBefore == 3)
    }

    @Test(arguments: [
        ("$share/g/iotflow/+/x", true), ("a/#", true), ("+", true), ("a/#/b", false), ("a+/b", false),
        ("$share//a", false), ("$share/g", false), ("", false),
    ])
    func checksTopicFilters(filter: String, valid: Bool) {
        #expect(TopicFilter.isValid(filter) == valid)
    }
}
