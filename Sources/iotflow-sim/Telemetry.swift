// iotflow-bridge: the deterministic topics and JSON payloads of simulated ESP32 devices.
// SPDX-License-Identifier: Apache-2.0

import Glibc

/// The topic and payload of message k of a run.
///
/// Every reading depends only on k, so a test can recompute what the bridge should have written.
/// A value; safe from any thread.
struct Telemetry {
    /// 2025-01-01T12:00:00Z in milliseconds since 1970, the time of message 0.
    static let baseMilliseconds = 1_735_732_800_000

    /// The `seq` of message 0.
    let firstSequence: Int
    let timestampFormat: TimestampFormat
    /// One topic per device, `<prefix>/dev-00042/telemetry/<measurement>`; message k goes to device k % count.
    private let topics: [String]

    /// - Parameter deviceCount: 1...100_000, so device names fit five digits.
    init(
        topicPrefix: String,
        measurement: String,
        deviceCount: Int,
        firstSequence: Int,
        timestampFormat: TimestampFormat
    ) {
        topics = (0..<deviceCount).map { device in
            "\(topicPrefix)/dev-\(device.zeroPadded(toWidth: 5))/telemetry/\(measurement)"
        }
        self.firstSequence = firstSequence
        self.timestampFormat = timestampFormat
    }

    func topic(ofMessage k: Int) -> String {
        topics[k % topics.count]
    }

    /// For example `{"temperature":24.5,"humidity":60,"battery_level":85,"seq":1234}`.
    func payload(ofMessage k: Int) -> String {
        // Whole tenths keep the text exact, and every tenth reading ("24") looks like a JSON
        // integer, so the bridge's integer-versus-float handling is exercised on every run.
        let tenths = 200 + k % 100
        let temperature = tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
        let humidity = 35 + (k / 3) % 41
        // Each device drains its battery by one percent per message it sends, wrapping at 0.
        let battery = 100 - (k / topics.count) % 101
        var json = "{\"temperature\":\(temperature),\"humidity\":\(humidity),\"battery_level\":\(battery)"
        let sequence = firstSequence + k
        json += ",\"seq\":\(sequence)"
        // Timestamps follow the sequence number, so runs with different --first-seq never
        // overwrite each other's points in InfluxDB.
        switch timestampFormat {
        case .omitted:
            break
        case .rfc3339:
            json += ",\"timestamp\":\"\(Self.rfc3339(milliseconds: Self.baseMilliseconds + sequence))\""
        case .epochSeconds:
            // One second per message, not one millisecond, so that second precision still gives
            // every point of a device its own timestamp (equal timestamps overwrite in InfluxDB).
            json += ",\"timestamp\":\(Self.baseMilliseconds / 1000 + sequence)"
        case .epochMilliseconds:
            json += ",\"timestamp\":\(Self.baseMilliseconds + sequence)"
        }
        return json + "}"
    }

    /// UTC with milliseconds, for example `2025-01-01T12:00:00.042Z`.
    private static func rfc3339(milliseconds: Int) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let date =
            "\(Int(parts.tm_year) + 1900)-\(Int(parts.tm_mon + 1).zeroPadded(toWidth: 2))"
            + "-\(Int(parts.tm_mday).zeroPadded(toWidth: 2))"
        let time =
            "\(Int(parts.tm_hour).zeroPadded(toWidth: 2)):\(Int(parts.tm_min).zeroPadded(toWidth: 2))"
            + ":\(Int(parts.tm_sec).zeroPadded(toWidth: 2)).\((milliseconds % 1000).zeroPadded(toWidth: 3))"
        return "\(date)T\(time)Z"
    }
}
