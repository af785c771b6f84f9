// iotflow-bridge: what /health answers and `iotflow-bridge status` reads.
// SPDX-License-Identifier: Apache-2.0

/// A check's verdict, in the words of InfluxDB's own health reply; ordered pass < warn < fail.
public enum HealthStatus: String, Codable, Sendable, Comparable, CaseIterable {
    case pass
    case warn
    case fail

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .pass: 0
        case .warn: 1
        case .fail: 2
        }
    }
}

/// One check of the report (`mqtt`, `influxdb`, `buffer`).
public struct HealthCheck: Codable, Sendable, Equatable {
    /// The verdict.
    public var status: HealthStatus
    /// One sentence a person reads: why it is not pass, or what pass means here.
    public var message: String
    /// The server's version where known (InfluxDB's `X-Influxdb-Version`).
    public var version: String?

    /// A check.
    public init(status: HealthStatus, message: String, version: String? = nil) {
        self.status = status
        self.message = message
        self.version = version
    }
}

/// The figures a person wants beside the verdicts (`iotflow-bridge status` prints them).
public struct BridgeFigures: Codable, Sendable, Equatable {
    public var bufferedPoints: Int
    public var bufferedBytes: Int
    public var bufferCapacityBytes: Int
    /// Now minus the timestamp of the oldest point still buffered; nil when the buffer is empty.
    public var oldestPointAgeSeconds: Double?
    /// The rates below are over this window (up to a minute; shorter just after start).
    public var rateWindowSeconds: Double
    public var messagesPerSecond: Double
    public var pointsWrittenPerSecond: Double
    public var messagesRefusedPerSecond: Double
    public var devicesSeen: Int
    /// Devices silent for longer than `staleAfterSeconds`.
    public var devicesStale: Int
    public var staleAfterSeconds: Double

    /// The figures.
    public init(
        bufferedPoints: Int,
        bufferedBytes: Int,
        bufferCapacityBytes: Int,
        oldestPointAgeSeconds: Double?,
        rateWindowSeconds: Double,
        messagesPerSecond: Double,
        pointsWrittenPerSecond: Double,
        messagesRefusedPerSecond: Double,
        devicesSeen: Int,
        devicesStale: Int,
        staleAfterSeconds: Double
    ) {
        self.bufferedPoints = bufferedPoints
        self.bufferedBytes = bufferedBytes
        self.bufferCapacityBytes = bufferCapacityBytes
        self.oldestPointAgeSeconds = oldestPointAgeSeconds
        self.rateWindowSeconds = rateWindowSeconds
        self.messagesPerSecond = messagesPerSecond
        self.pointsWrittenPerSecond = pointsWrittenPerSecond
        self.messagesRefusedPerSecond = messagesRefusedPerSecond
        self.devicesSeen = devicesSeen
        self.devicesStale = devicesStale
        self.staleAfterSeconds = staleAfterSeconds
    }

    enum CodingKeys: String, CodingKey {
        case bufferedPoints = "buffered_points"
        case bufferedBytes = "buffered_bytes"
        case bufferCapacityBytes = "buffer_capacity_bytes"
        case oldestPointAgeSeconds = "oldest_point_age_seconds"
        case rateWindowSeconds = "rate_window_seconds"
        case messagesPerSecond = "messages_per_second"
        case pointsWrittenPerSecond = "points_written_per_second"
        case messagesRefusedPerSecond = "messages_refused_per_second"
        case devicesSeen = "devices_seen"
        case devicesStale = "devices_stale"
        case staleAfterSeconds = "stale_after_seconds"
    }
}

/// The `/health` reply: the shape of InfluxDB's own health reply (`name`, `status`, `message`,
/// `version`, `checks`), with the checks keyed by name and the bridge's figures beside them.
/// The overall status is the worst check's.
public struct HealthReport: Codable, Sendable, Equatable {
    public var name: String
    public var status: HealthStatus
    public var message: String
    /// The bridge's version.
    public var version: String
    /// `mqtt`, `influxdb` and `buffer`.
    public var checks: [String: HealthCheck]
    public var bridge: BridgeFigures

    /// A report whose status and message follow from its checks.
    public init(version: String, checks: [String: HealthCheck], bridge: BridgeFigures) {
        self.name = "iotflow-bridge"
        self.version = version
        self.checks = checks
        self.bridge = bridge
        let worst = checks.values.map(\.status).max() ?? .pass
        self.status = worst
        let failing = checks.filter { $0.value.status == worst && worst != .pass }.keys.sorted()
        self.message =
            failing.isEmpty ? "ready for messages and writes" : "\(worst): \(failing.joined(separator: ", "))"
    }

    /// The HTTP status `/health` answers with: 200 for pass and warn, 503 for fail.
    public var httpStatus: Int { status == .fail ? 503 : 200 }
}

/// One device in the `/devices` reply.
public struct DeviceEntry: Codable, Sendable, Equatable {
    public var deviceID: String
    /// RFC 3339, UTC, milliseconds.
    public var lastSeen: String
    public var silentSeconds: Double
    /// Messages from it since the bridge started.
    public var messages: Int

    /// An entry.
    public init(deviceID: String, lastSeen: String, silentSeconds: Double, messages: Int) {
        self.deviceID = deviceID
        self.lastSeen = lastSeen
        self.silentSeconds = silentSeconds
        self.messages = messages
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case lastSeen = "last_seen"
        case silentSeconds = "silent_seconds"
        case messages
    }
}

/// The `/devices?stale=` reply: the devices silent for longer than `staleAfterSeconds`,
/// longest silent first.
public struct DeviceListing: Codable, Sendable, Equatable {
    public var staleAfterSeconds: Double
    public var devices: [DeviceEntry]
    /// Devices in the table (at most `mapping.max_devices`).
    public var tracked: Int
    /// Messages from devices the full table had no room for.
    public var untrackedMessages: Int

    /// A listing.
    public init(staleAfterSeconds: Double, devices: [DeviceEntry], tracked: Int, untrackedMessages: Int) {
        self.staleAfterSeconds = staleAfterSeconds
        self.devices = devices
        self.tracked = tracked
        self.untrackedMessages = untrackedMessages
    }

    enum CodingKeys: String, CodingKey {
        case staleAfterSeconds = "stale_after_seconds"
        case devices
        case tracked
        case untrackedMessages = "untracked_messages"
    }
}
