// iotflow-bridge: device timestamps: RFC 3339 text and epoch numbers told apart by magnitude.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

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

    @Test(arguments: [Int64(0), -1, 1_735_732_800_000_000_000, .max, -9_000_000_000_000_000_000])
    func rfc3339RoundTrips(nanoseconds: Int64) {
        #expect(Timestamp.nanoseconds(rfc3339: Timestamp.rfc3339(nanoseconds: nanoseconds)) == nanoseconds)
    }
}
