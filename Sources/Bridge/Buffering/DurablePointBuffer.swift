// iotflow-bridge: the durable buffer: segment files on disk, a window of them in memory.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Foundation
import Glibc
public import Logging

/// A `PointBuffer` whose points live in segment files under the state directory until InfluxDB
/// has accepted (or refused for good) every one of them.
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
/// - **Recovery** (`init`, decisions in `RecoveryPlanner`): every segment is read and every
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
// The mutable state is split by owner: `staged*`, `active`, `lastSync` and `unsynced` belong to
// the MQTT thread (append, commit, hasRoom); `lastCheckpoint` to the writer thread (peekBatch,
// removeBatch); the rest is read and written only while `condition` is locked.
public final class DurablePointBuffer: PointBuffer, @unchecked Sendable {
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

    /// What start-up found.
    public let recovery: Recovery
    public let capacityBytes: Int
    public var isDurable: Bool { true }
    /// Bytes per segment file before the next one is started.
    let segmentBytes: Int

    private let directory: String
    private let fsyncPolicy: BufferConfiguration.FsyncPolicy
    private let fsyncInterval: Duration
    private let logger: Logger
    private let lockDescriptor: CInt

    // MQTT thread.
    private var stagedRecords: [UInt8] = []
    private var stagedRecordStarts: [Int] = []
    private var stagedRecordPoints: [Int] = []
    private var stagedLines: [UInt8] = []
    private var stagedLengths: [UInt32] = []
    private var active: (descriptor: CInt, id: UInt64, length: Int, path: String)
    private var lastSync = ContinuousClock.now
    private var unsynced = false

    // Writer thread.
    private var lastCheckpoint: BufferCheckpoint?
    private var fileErrors = LogRateLimiter(burst: 1, window: .seconds(60))

    // Under `condition`.
    private let waiter = PointWaiter()
    private var condition: NSCondition { waiter.condition }
    private var ring: PointRing
    private var ledger = RecordLedger()
    private var segments: [Segment]
    private var cursor: Cursor
    private var spilled: Bool
    private var heldPoints: Int
    private var heldBytes: Int
    private var diskBytes: Int
    /// Counts `dropOldest` calls that deleted segments, so a load from the files that raced
    /// with one is discarded and done again.
    private var dropGeneration = 0

    /// Opens (creating if needed) the state directory `configuration.path`, recovers what it
    /// holds and starts a new segment for appends.
    ///
    /// Throws a one-line `BufferError` when the directory cannot be created, locked, read or
    /// written (another bridge using it, a read-only or full file system).
    public init(configuration: BufferConfiguration, logger: Logger) throws(BufferError) {
        directory = configuration.path
        fsyncPolicy = configuration.fsync
        fsyncInterval = configuration.fsyncInterval
        self.logger = logger
        capacityBytes = configuration.maxDiskBytes
        segmentBytes = min(64 << 20, max(64 << 10, configuration.maxDiskBytes / 16))
        let window = configuration.overflow == .dropOldest ? configuration.maxDiskBytes / 2 : configuration.maxDiskBytes
        ring = PointRing(capacityBytes: min(configuration.maxBytes, window))

        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw BufferError("cannot create the state directory \(directory): \(error.localizedDescription)")
        }
        lockDescriptor = try FileIO.open(directory + "/lock", flags: O_RDWR | O_CREAT)
        guard flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(lockDescriptor)
            throw BufferError(
                "another iotflow-bridge is using the state directory \(directory) (it holds its lock file)"
            )
        }

        var scan = try Self.recover(directory: directory)
        let activeID = scan.nextID
        let activePath = directory + "/" + SegmentFormat.fileName(id: activeID)
        let descriptor = try Self.createSegment(id: activeID, path: activePath, sync: fsyncPolicy != .off)
        active = (descriptor, activeID, SegmentFormat.headerBytes, activePath)
        if fsyncPolicy != .off { try FileIO.syncDirectory(directory) }
        scan.segments.append(Segment(id: activeID, length: SegmentFormat.headerBytes))

        segments = scan.segments
        cursor = scan.start ?? Cursor(segment: activeID, offset: SegmentFormat.headerBytes, skipPoints: 0)
        spilled = cursor != Cursor(segment: activeID, offset: SegmentFormat.headerBytes, skipPoints: 0)
        heldPoints = scan.recovery.points
        heldBytes = scan.recovery.bytes
        diskBytes = scan.segments.reduce(0) { $0 + $1.length }
        recovery = scan.recovery
        Self.log(recovery, directory: directory, logger: logger)
    }

    deinit {
        close(active.descriptor)
        close(lockDescriptor)
    }

    public var occupancy: (points: Int, bytes: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (heldPoints, heldBytes)
    }

    /// Whether `bytes` more bytes of lines (with their record overhead) fit in the disk budget.
    public func hasRoom(forBytes bytes: Int) -> Bool {
        condition.lock()
        let used = diskBytes
        condition.unlock()
        return used + stagedRecords.count + bytes + bytes / 2 + 4096 <= capacityBytes
    }

    // MARK: - MQTT thread

    /// Stages the lines as one record; `commit()` writes it. Never waits: intake checks
    /// `hasRoom` before it reads, so the budget is exceeded by at most one message.
    public func append(
        lines: UnsafeBufferPointer<UInt8>,
        lineLengths: UnsafeBufferPointer<UInt32>,
        waitingUpTo timeout: Duration
    ) -> Bool {
        // The writer must be able to load any record into an empty ring.
        guard lines.count <= ring.capacityBytes else { return false }
        // A record holds at least one point: recovery reads a zeroed run as damage, not records.
        guard lineLengths.count > 0 else { return true }
        stagedRecordStarts.append(stagedRecords.count)
        stagedRecordPoints.append(lineLengths.count)
        SegmentFormat.appendRecord(lines: lines, lineLengths: lineLengths, to: &stagedRecords)
        stagedLines.append(contentsOf: lines)
        stagedLengths.append(contentsOf: lineLengths)
        return true
    }

    public func commit() throws(BufferError) {
        let syncDue =
            fsyncPolicy == .burst || (fsyncPolicy == .interval && ContinuousClock.now - lastSync >= fsyncInterval)
        guard !stagedRecords.isEmpty else {
            if unsynced && syncDue && fsyncPolicy != .off { try syncActive() }
            return
        }
        if active.length >= segmentBytes { try rotate() }
        let base = active.length
        do throws(BufferError) {
            try FileIO.write(active.descriptor, stagedRecords, at: base, path: active.path)
            unsynced = true
            if syncDue && fsyncPolicy != .off { try syncActive() }
        } catch {
            // No partial record may stay behind: the next commit writes the burst again.
            try? FileIO.truncate(active.descriptor, to: base, path: active.path)
            throw error
        }
        active.length = base + stagedRecords.count
        publishStaged(at: base)
        stagedRecords.removeAll(keepingCapacity: true)
        stagedRecordStarts.removeAll(keepingCapacity: true)
        stagedRecordPoints.removeAll(keepingCapacity: true)
        stagedLines.removeAll(keepingCapacity: true)
        stagedLengths.removeAll(keepingCapacity: true)
    }

    private func syncActive() throws(BufferError) {
        try FileIO.sync(active.descriptor, path: active.path)
        lastSync = .now
        unsynced = false
    }

    /// Makes the committed records visible: into the ring if it is not spilled and has room.
    private func publishStaged(at base: Int) {
        condition.lock()
        defer { condition.unlock() }
        segments[segments.count - 1].length = active.length
        segments[segments.count - 1].points += stagedLengths.count
        segments[segments.count - 1].lineBytes += stagedLines.count
        diskBytes += stagedRecords.count
        heldPoints += stagedLengths.count
        heldBytes += stagedLines.count
        let loaded =
            !spilled
            && stagedLines.withUnsafeBufferPointer { lines in
                stagedLengths.withUnsafeBufferPointer { ring.append(lines: lines, lineLengths: $0) }
            }
        if loaded {
            for (start, points) in zip(stagedRecordStarts, stagedRecordPoints) {
                ledger.loaded(segment: active.id, offset: base + start, points: points)
            }
            cursor = Cursor(segment: active.id, offset: active.length, skipPoints: 0)
        } else {
            // The ring is full: from here on the writer loads records from the files.
            spilled = true
        }
        waiter.pointsArrived(held: heldPoints)
    }

    /// Finishes the active segment and starts the next one.
    private func rotate() throws(BufferError) {
        if unsynced && fsyncPolicy != .off { try syncActive() }
        let id = active.id + 1
        let path = directory + "/" + SegmentFormat.fileName(id: id)
        let descriptor = try Self.createSegment(id: id, path: path, sync: fsyncPolicy != .off)
        if fsyncPolicy != .off { try FileIO.syncDirectory(directory) }
        close(active.descriptor)
        active = (descriptor, id, SegmentFormat.headerBytes, path)
        condition.lock()
        segments.append(Segment(id: id, length: SegmentFormat.headerBytes))
        diskBytes += SegmentFormat.headerBytes
        if !spilled { cursor = Cursor(segment: id, offset: SegmentFormat.headerBytes, skipPoints: 0) }
        condition.unlock()
    }

    private static func createSegment(id: UInt64, path: String, sync: Bool) throws(BufferError) -> CInt {
        let descriptor = try FileIO.open(path, flags: O_WRONLY | O_CREAT | O_EXCL)
        do throws(BufferError) {
            try FileIO.write(descriptor, SegmentFormat.header(id: id), at: 0, path: path)
            if sync { try FileIO.sync(descriptor, path: path) }
        } catch {
            close(descriptor)
            unlink(path)
            throw error
        }
        return descriptor
    }

    public func dropOldest(freeing bytes: Int) -> (points: Int, bytes: Int) {
        var dropped: [Segment] = []
        condition.lock()
        while diskBytes + stagedRecords.count + bytes + bytes / 2 + 4096 > capacityBytes,
            let index = segments.firstIndex(where: { $0.id > cursor.segment }), index < segments.count - 1
        {
            let segment = segments.remove(at: index)
            diskBytes -= segment.length
            heldPoints -= segment.points
            heldBytes -= segment.lineBytes
            dropped.append(segment)
        }
        if !dropped.isEmpty { dropGeneration += 1 }
        condition.unlock()
        for segment in dropped {
            let path = directory + "/" + SegmentFormat.fileName(id: segment.id)
            // Deleted only after it left the list, so the writer never reads it again. A crash
            // before the deletion brings its points back at the next start, which loses nothing.
            if !segment.keep { unlink(path) }
        }
        return (dropped.reduce(0) { $0 + $1.points }, dropped.reduce(0) { $0 + $1.lineBytes })
    }

    // MARK: - Writer thread

    public func waitForPoints(atLeast points: Int, until deadline: ContinuousClock.Instant) -> Int {
        waiter.wait(atLeast: points, until: deadline) { heldPoints }
    }

    /// Appends never wait for room, so there is nothing to interrupt.
    public func interruptAppends() {}

    public func interruptWaits() {
        waiter.interrupt()
    }

    public func peekBatch(
        maxPoints: Int,
        maxBytes: Int,
        into body: inout [UInt8],
        lineLengths: inout [Int]
    )
        -> (points: Int, bytes: Int)
    {
        condition.lock()
        let refill = spilled && ring.pointCount < maxPoints
        condition.unlock()
        if refill { loadFromFiles() }
        condition.lock()
        defer { condition.unlock() }
        return ring.copyFrontBatch(maxPoints: maxPoints, maxBytes: maxBytes, into: &body, lineLengths: &lineLengths)
    }

    public func removeBatch(points: Int, bytes: Int) {
        condition.lock()
        ring.removeFront(points: points, bytes: bytes)
        ledger.remove(points: points)
        heldPoints -= points
        heldBytes -= bytes
        condition.unlock()
        releaseAcceptedSegments()
    }

    /// Records the checkpoint and deletes the segments wholly before it.
    private func releaseAcceptedSegments() {
        condition.lock()
        let checkpoint =
            ledger.checkpoint
            ?? BufferCheckpoint(
                segment: cursor.segment,
                offset: UInt64(cursor.offset),
                acceptedPoints: UInt32(cursor.skipPoints)
            )
        var released: [Segment] = []
        while segments.count > 1 && segments[0].id < checkpoint.segment {
            released.append(segments.removeFirst())
            diskBytes -= released[released.count - 1].length
        }
        condition.unlock()
        guard checkpoint != lastCheckpoint else { return }
        do {
            // Written before the segments go: a crash in between resends, never skips.
            try FileIO.replace(directory + "/checkpoint", with: checkpoint.encoded)
            lastCheckpoint = checkpoint
        } catch {
            logFileError(
                "Cannot record the buffer checkpoint; a restart would resend what InfluxDB already has.",
                error
            )
        }
        for segment in released {
            let path = directory + "/" + SegmentFormat.fileName(id: segment.id)
            // A damaged segment without a `.corrupt` copy stays where it is.
            if !segment.keep && unlink(path) != 0 {
                logFileError("Cannot delete a sent buffer segment.", .system("cannot delete", path))
            }
        }
    }

    /// Loads records from the files into the ring, oldest first, while they fit, skipping the
    /// damaged ranges recovery found.
    private func loadFromFiles() {
        condition.lock()
        var position = cursor
        var budget = ring.freeBytes
        let files = segments.filter { $0.id >= position.segment }.map { ($0.id, $0.length, $0.unreadable) }
        let generation = dropGeneration
        condition.unlock()

        var loaded = LoadedRecords()
        reading: for (id, length, unreadable) in files {
            if id != position.segment {
                position = Cursor(segment: id, offset: SegmentFormat.headerBytes, skipPoints: 0)
            }
            var run = SegmentFormat.readableRun(from: position.offset, length: length, damage: unreadable)
            position.offset = run.lowerBound
            while !run.isEmpty {
                do {
                    let path = directory + "/" + SegmentFormat.fileName(id: id)
                    if let damage = try Self.load(
                        run,
                        of: id,
                        path: path,
                        from: &position,
                        budget: &budget,
                        into: &loaded
                    ) {
                        logFileError(
                            "A buffer segment is damaged past this point; restart the bridge to skip the damage.",
                            damage
                        )
                    }
                } catch {
                    if !droppedSince(generation) { logFileError("Cannot read the buffer; will try again.", error) }
                    break reading
                }
                // Out of budget, a chunk that ended mid-record, or damage found at run time.
                guard position.offset == run.upperBound else { break reading }
                run = SegmentFormat.readableRun(from: position.offset, length: length, damage: unreadable)
                position.offset = run.lowerBound
            }
        }

        condition.lock()
        guard dropGeneration == generation else {
            // `dropOldest` deleted segments meanwhile, perhaps ones read here: the next peek loads again.
            condition.unlock()
            return
        }
        let appended = loaded.lines.withUnsafeBufferPointer { bytes in
            loaded.lengths.withUnsafeBufferPointer { ring.append(lines: bytes, lineLengths: $0) }
        }
        precondition(appended, "records loaded within the ring's free bytes must fit")
        for record in loaded.records {
            ledger.loaded(
                segment: record.segment,
                offset: record.offset,
                points: record.points,
                firstPoint: record.firstPoint
            )
        }
        // Past the end of a finished segment, the cursor moves to the first record of the next.
        if let index = segments.firstIndex(where: { $0.id == position.segment }), index + 1 < segments.count,
            position.offset >= segments[index].length
        {
            let next = segments[index + 1]
            let run = SegmentFormat.readableRun(
                from: SegmentFormat.headerBytes,
                length: next.length,
                damage: next.unreadable
            )
            position = Cursor(segment: next.id, offset: run.lowerBound, skipPoints: 0)
        }
        cursor = position
        let last = segments[segments.count - 1]
        spilled = cursor != Cursor(segment: last.id, offset: last.length, skipPoints: 0)
        condition.unlock()
        if !loaded.records.isEmpty || files.count > 1 { releaseAcceptedSegments() }
    }

    private func droppedSince(_ generation: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return dropGeneration != generation
    }

    private func logFileError(_ message: Logger.Message, _ error: BufferError) {
        let (admitted, suppressed) = fileErrors.admit(at: .now)
        guard admitted else { return }
        logger.error(message, metadata: ["error": "\(error)", "log.suppressed": "\(suppressed)"])
    }
}
