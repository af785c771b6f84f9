// iotflow-bridge: how much the bridge holds while InfluxDB is slow or away, and where.
// SPDX-License-Identifier: Apache-2.0

/// The `buffer` section.
public struct BufferConfiguration: Equatable, Sendable {
    /// When the durable buffer makes appended points safe from a power loss (`buffer.fsync`).
    public enum FsyncPolicy: String, CaseIterable, Sendable {
        /// `fdatasync` once per read burst, before the burst's PUBACKs are sent.
        case burst
        /// `fdatasync` at most every `fsync_interval`; PUBACKs follow the write, not the sync.
        case interval
        /// Never; the kernel writes back. Still safe from kill -9, not from a power loss.
        case off
    }

    /// What happens when the buffer is full (`buffer.overflow`).
    public enum OverflowPolicy: String, CaseIterable, Sendable {
        /// Stop reading from the broker, which queues for the bridge; nothing is dropped.
        case pause
        /// Drop the oldest points not being sent, count them as `points_dropped` and log it,
        /// and keep reading: for fleets that want the newest readings more than every reading.
        case dropOldest = "drop_oldest"
    }

    /// Whether points are kept in segment files under `path` (`buffer.durable`), so that nothing
    /// acknowledged to the broker is lost on a crash or restart.
    public var durable: Bool
    /// The state directory for the segment files and the checkpoint (`buffer.path`).
    public var path: String
    /// Encoded points held in memory, in bytes, 1 MiB – 64 GiB (`buffer.max_bytes`). Without
    /// the durable buffer this is the whole buffer; with it, the window read from disk.
    public var maxBytes: Int
    /// Disk the segment files may take, in bytes, 1 MiB – 16 TiB (`buffer.max_disk_bytes`).
    /// When full, the bridge stops reading from the broker until InfluxDB takes some.
    public var maxDiskBytes: Int
    /// When appended points are synced to the disk (`buffer.fsync`).
    public var fsync: FsyncPolicy
    /// The longest time between syncs with `fsync: interval` (`buffer.fsync_interval`).
    public var fsyncInterval: Duration
    /// What a full buffer does (`buffer.overflow`).
    public var overflow: OverflowPolicy

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(
        durable: Bool = true,
        path: String = "/var/lib/iotflow-bridge/buffer",
        maxBytes: Int = 64 * 1024 * 1024,
        maxDiskBytes: Int = 1024 * 1024 * 1024,
        fsync: FsyncPolicy = .burst,
        fsyncInterval: Duration = .seconds(1),
        overflow: OverflowPolicy = .pause
    ) {
        self.durable = durable
        self.path = path
        self.maxBytes = maxBytes
        self.maxDiskBytes = maxDiskBytes
        self.fsync = fsync
        self.fsyncInterval = fsyncInterval
        self.overflow = overflow
    }
}

extension BufferConfiguration {
    /// The section's keys, in file order. `path`, `max_disk_bytes` and `fsync_interval` matter only
    /// with `durable`, so their rules are `BridgeConfiguration.durableBufferIssues`.
    static let keys: [SectionKey<Self>] = [
        .key("durable", \.durable, .bool),
        .key("path", \.path, .string),
        .key(
            "max_bytes",
            \.maxBytes,
            .int,
            .within(1024 * 1024...64 * 1024 * 1024 * 1024, "must be between 1048576 (1 MiB) and 68719476736 (64 GiB)")
        ),
        .key("max_disk_bytes", \.maxDiskBytes, .int),
        .key("fsync", \.fsync, .choice),
        .key("fsync_interval", \.fsyncInterval, .duration),
        .key("overflow", \.overflow, .choice),
    ]
}
