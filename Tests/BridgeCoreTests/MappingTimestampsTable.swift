// iotflow-bridge: the table's cases about timestamps: keys, formats, units, out-of-range times.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

private let R = receivedAt

extension MappingTable {
    static let timestamps: [MappingCase] = [
        MappingCase(
            "epoch seconds from WiFi.getTime()",
            #"{"temperature": 25.1, "timestamp": 1704110400}"#,
            lines: "\(env) temperature=25.1 1704110400000000000\n"
        ),
        MappingCase(
            "epoch milliseconds",
            #"{"t": 1, "timestamp": 1704110400123}"#,
            lines: "\(env) t=1 1704110400123000000\n"
        ),
        MappingCase(
            "epoch microseconds",
            #"{"t": 1, "ts": 1704110400123456}"#,
            lines: "\(env) t=1 1704110400123456000\n"
        ),
        MappingCase(
            "epoch nanoseconds keep all 19 digits",
            #"{"t": 1, "time": 1704110400123456789}"#,
            lines: "\(env) t=1 1704110400123456789\n"
        ),
        MappingCase(
            "fractional epoch seconds",
            #"{"t": 1, "timestamp": 1704110400.5}"#,
            lines: "\(env) t=1 1704110400500000000\n"
        ),
        MappingCase(
            "epoch seconds as text",
            #"{"t": 1, "timestamp": "1704110400"}"#,
            lines: "\(env) t=1 1704110400000000000\n"
        ),
        MappingCase(
            "epoch milliseconds as text with spaces",
            #"{"t": 1, "timestamp": " 1704110400123 "}"#,
            lines: "\(env) t=1 1704110400123000000\n"
        ),
        MappingCase(
            "RFC 3339 with offset and nanoseconds",
            #"{"t": 1, "timestamp": "2024-01-01T14:00:00.123456789+02:00"}"#,
            lines: "\(env) t=1 1704110400123456789\n"
        ),
        MappingCase(
            "RFC 3339 with a negative offset",
            #"{"t": 1, "timestamp": "2024-01-01T07:00:00-05:00"}"#,
            lines: "\(env) t=1 1704110400000000000\n"
        ),
        MappingCase(
            "RFC 3339 with a tenth of a second",
            #"{"t": 1, "timestamp": "2024-01-01T12:00:00.5Z"}"#,
            lines: "\(env) t=1 1704110400500000000\n"
        ),
        MappingCase(
            "ISO 8601 with a space and lowercase z",
            #"{"t": 1, "timestamp": "2024-01-01 12:00:00z"}"#,
            lines: "\(env) t=1 1704110400000000000\n"
        ),
        MappingCase(
            "fraction digits beyond nanoseconds are truncated",
            #"{"t": 1, "timestamp": "2024-01-01T12:00:00.1234567899Z"}"#,
            lines: "\(env) t=1 1704110400123456789\n"
        ),
        MappingCase(
            "the last timestamp key present wins",
            #"{"t": 1, "time": 1704110400, "ts": 1704110460}"#,
            lines: "\(env) t=1 1704110460000000000\n"
        ),
        MappingCase(
            "a device without a clock (1970) gets the receive time",
            #"{"t": 1, "timestamp": 12345}"#,
            lines: "\(env) t=1 \(R)\n",
            replaced: 1
        ),
        MappingCase(
            "a time beyond max_future gets the receive time",
            #"{"t": 1, "timestamp": "2024-01-01T14:00:00Z"}"#,
            lines: "\(env) t=1 \(R)\n",
            replaced: 1
        ),
        MappingCase(
            "a time just inside max_future is kept",
            #"{"t": 1, "timestamp": "2024-01-01T13:29:59Z"}"#,
            lines: "\(env) t=1 1704115799000000000\n"
        ),
        MappingCase(
            "out-of-range times in a burst get distinct receive times",
            #"[{"t": 1, "ts": 1}, {"t": 2, "ts": 2}]"#,
            lines: "\(env) t=1 \(R)\n\(env) t=2 \(R + 1)\n",
            replaced: 2
        ),
        MappingCase(
            "timestamp_policy reject refuses an out-of-range time",
            #"{"t": 1, "timestamp": 12345}"#,
            .rejectOutOfRange,
            refused: .timestampOutOfRange
        ),
        MappingCase(
            "timestamp_policy keep keeps a 1970 time",
            #"{"t": 1, "timestamp": 12345}"#,
            .keepOutOfRange,
            lines: "\(env) t=1 12345000000000\n"
        ),
        MappingCase("unreadable timestamp", #"{"t": 1, "timestamp": "yesterday"}"#, refused: .invalidTimestamp),
        MappingCase(
            "impossible date",
            #"{"t": 1, "timestamp": "2024-02-30T00:00:00Z"}"#,
            refused: .invalidTimestamp
        ),
        MappingCase(
            "a time without a zone is ambiguous",
            #"{"t": 1, "timestamp": "2024-01-01T12:00:00"}"#,
            refused: .invalidTimestamp
        ),
        MappingCase("a boolean timestamp", #"{"t": 1, "timestamp": true}"#, refused: .invalidTimestamp),
        MappingCase(
            "a time beyond 2262 cannot be a line-protocol timestamp",
            #"{"t": 1, "timestamp": "3000-01-01T00:00:00Z"}"#,
            refused: .invalidTimestamp
        ),
    ]
}
