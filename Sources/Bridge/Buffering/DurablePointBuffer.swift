// iotflow-bridge: the durable buffer: segment files on disk, a window of them in memory.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Foundation
import Glibc
public import Logging

/// The durable point buffer: points live in segment files under the state directory until
/// InfluxDB has accepted (or rejected for good) every one of them. `PointBuffer.durable` opens
/// it; `DurablePointIntake` and `DurablePointOutlet` are its halves, over a `PointBufferCore`
/// holding `DurableBufferState`. This type holds what both halves and start-up share.
///
/// - **Append** (MQTT thread): each message's lines become one checksummed record, staged in
///   memory; `commit()` writes the burst's records with one `pwrite`, syncs as `buffer.fsync`
///   says, and only then makes them visible to the writer. The MQTT thread sends the burst's
///   PUBACKs after that, so nothing acknowledged exists only in memory.
/// - **Read** (writer thread): batches come from an in-memory `PointRing`, the fast path.
///   Records go to the ring as they are committed while it has room; after that the buffer is
///   *spilled* and the writer refills the ring from the files, oldest first, as it empties.
/// - **Remove**: the checkpoint file records how far InfluxDB has taken the buffer (a record
///   position and the points of that record already taken); segments wholly before it are
///   deleted. After a crash, a restart resends only what lies after the checkpoint.
/// - **Recovery** (`PointBuffer.durable`, decisions in `RecoveryPlanner`): every segment is read and every
///   record checked. Only a record cut short at the end of the newest segment (a crash
///   mid-write, never acknowledged) is cut off. Damage anywhere else costs only its own bytes:
///   reading resumes at the next valid record, the writer skips the damaged ranges, and the
///   file as found is kept as `<segment>.corrupt`. A checkpoint that does not match the
///   segments is reported and ignored (everything is sent again); segments are deleted only
///   before a matching one. Entries the bridge did not write are reported and left alone.
///
/// The disk budget (`buffer.max_disk_bytes`) counts whole segment files, so a segment's accepted
/// front takes space until the segment is deleted; segments are a sixteenth of the budget.
///
/// With `buffer.overflow: drop_oldest`, `dropOldest` deletes the oldest segments the writer has
/// not started reading (those after the cursor's, before the active one); the in-memory window
/// is then at most half the budget, so a full disk always holds such segments.
public enum DurablePointBuffer {
    /// What start-up found in the state directory.
    public struct Recovery: Equatable, Sendable {
        /// Points waiting to be sent, and their bytes.
        public var points = 0
        public var bytes = 0
        /// Segment files read.
        public var segments = 0
        /// Bytes of a torn last record (cut off unless the file is also damaged).
        public var tornBytes = 0
        /// Segments with damaged records; what lies on both sides of the damage is sent.
        public var damagedSegments: [DamagedSegment] = []
        /// Bytes of damage that cannot be read, in all segments.
        public var unreadableBytes: Int { damagedSegments.reduce(0) { $0 + $1.unreadableBytes } }
        /// Entries in the state directory that the bridge did not write or cannot use (left alone).
        public var leftAlone: [RecoveryPlan.LeftAlone] = []
        /// Why the checkpoint was not trusted (everything was sent again, nothing deleted).
        public var checkpointProblem: String?
        /// Damaged segments no `.corrupt` copy could be made of (file: reason); never deleted.
        public var copyFailures: [String] = []
    }

    /// A segment file with damage, as start-up found it.
    public struct DamagedSegment: Equatable, Sendable {
        public var file: String
        /// The byte ranges the writer skips, and the damaged bytes among them.
        public var unreadable: [Range<Int>]
        public var unreadableBytes: Int
        /// Valid records read, on both sides of the damage.
        public var records: Int
        /// Whether `<file>.corrupt` holds the file as found.
        public var copied: Bool
    }

    struct Segment {
        let id: UInt64
        /// The file's bytes.
        var length: Int
        /// Points (and their line bytes) in the segment's records, less those InfluxDB had taken
        /// at start-up; not lowered as the writer removes batches (only a segment the writer has
        /// not read yet is ever dropped, and all of its points are waiting).
        var points = 0
        var lineBytes = 0
        /// Ranges that hold no valid record (damage found at start-up), sorted: the writer skips them.
        var unreadable: [Range<Int>] = []
        /// Whether the file is damaged and has no `.corrupt` copy: then it is never deleted.
        var keep = false
    }

    /// The next record to load into the ring, and how many of its points were already taken.
    struct Cursor: Equatable {
        var segment: UInt64
        var offset: Int
        var skipPoints: Int
    }

    /// Creates segment `id` at `path` with its header, synced when `sync`; removed again if
    /// that fails.
    static func createSegment(id: UInt64, path: String, sync: Bool) throws(BridgeError) -> CInt {
        let descriptor = try FileIO.open(path, flags: O_WRONLY | O_CREAT | O_EXCL)
        do throws(BridgeError) {
            try FileIO.write(descriptor, SegmentFormat.header(id: id), at: 0, path: path)
            if sync { try FileIO.sync(descriptor, path: path) }
        } catch {
            close(descriptor)
            unlink(path)
            throw error
        }
        return descriptor
    }
}

extension PointBuffer {
    /// Opens (creating if needed) the state directory `configuration.path`, recovers what it
    /// holds and starts a new segment for appends.
    ///
    /// Throws a one-line `BridgeError` when the directory cannot be created, locked, read or
    /// written (another bridge using it, a read-only or full file system). `progress` is called as
    /// the recovery reads and recovers each segment.
    public static func durable(
        configuration: BufferConfiguration,
        logger: Logger,
        progress: () -> Void = {}
    ) throws(BridgeError) -> PointBuffer {
        let directory = try DurableBufferDirectory(path: configuration.path)
        var scan = try DurablePointBuffer.recover(directory: directory.path, progress: progress)
        let sync = configuration.fsync != .off
        let activePath = directory.segmentPath(scan.nextID)
        let descriptor = try DurablePointBuffer.createSegment(id: scan.nextID, path: activePath, sync: sync)
        let active = DurablePointIntake.ActiveSegment(
            descriptor: descriptor,
            id: scan.nextID,
            length: SegmentFormat.headerBytes,
            path: activePath
        )
        if sync { try FileIO.syncDirectory(directory.path) }
        scan.segments.append(DurablePointBuffer.Segment(id: active.id, length: active.length))

        let fresh = DurablePointBuffer.Cursor(segment: active.id, offset: active.length, skipPoints: 0)
        let window = configuration.overflow == .dropOldest ? configuration.maxDiskBytes / 2 : configuration.maxDiskBytes
        let state = DurableBufferState(
            ring: PointRing(capacityBytes: min(configuration.maxBytes, window)),
            segments: scan.segments,
            cursor: scan.start ?? fresh,
            spilled: (scan.start ?? fresh) != fresh,
            heldPoints: scan.recovery.points,
            heldBytes: scan.recovery.bytes,
            diskBytes: scan.segments.reduce(0) { $0 + $1.length }
        )
        let core = PointBufferCore(state, capacityBytes: configuration.maxDiskBytes, isDurable: true)
        DurablePointBuffer.log(scan.recovery, directory: directory.path, logger: logger)
        return PointBuffer(
            handle: core,
            intake: HandOff(
                DurablePointIntake(core, directory: directory, active: active, configuration: configuration)
            ),
            outlet: HandOff(DurablePointOutlet(core, directory: directory, logger: logger)),
            recovery: scan.recovery
        )
    }
}
