// iotflow-bridge: the MQTT thread's half of the durable buffer: stage, write, sync, publish.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Glibc

/// Messages appended since the last commit: each one a checksummed record, and its lines as
/// the ring takes them.
struct StagedRecords {
    var records: [UInt8] = []
    var recordStarts: [Int] = []
    var recordPoints: [Int] = []
    var lines: [UInt8] = []
    var lengths: [UInt32] = []

    mutating func removeAll() {
        records.removeAll(keepingCapacity: true)
        recordStarts.removeAll(keepingCapacity: true)
        recordPoints.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
    }
}

/// The MQTT thread's half of the durable buffer, owned by that thread alone: it stages each
/// message as a record, and `commit()` writes the burst's records with one `pwrite` to the
/// active segment, syncs as `buffer.fsync` says, and only then makes them visible to the
/// writer. It rotates segments, answers whether a message fits the disk budget, and deletes
/// the oldest unread segments for `buffer.overflow: drop_oldest`.
final class DurablePointIntake: PointBufferIntake {
    /// The segment appends go to; its descriptor belongs to this half.
    struct ActiveSegment {
        var descriptor: CInt
        var id: UInt64
        var length: Int
        var path: String
    }

    private let core: PointBufferCore<DurableBufferState>
    private let directory: DurableBufferDirectory
    private let fsyncPolicy: BufferConfiguration.FsyncPolicy
    private let fsyncInterval: Duration
    /// Bytes per segment file before the next one is started.
    private let segmentBytes: Int
    /// The in-memory window: the writer must be able to load any record into an empty ring.
    private let ringCapacity: Int
    private var staged = StagedRecords()
    private var active: ActiveSegment
    private var lastSync = ContinuousClock.now
    private var unsynced = false

    init(
        _ core: PointBufferCore<DurableBufferState>,
        directory: DurableBufferDirectory,
        active: ActiveSegment,
        configuration: BufferConfiguration
    ) {
        self.core = core
        self.directory = directory
        self.active = active
        fsyncPolicy = configuration.fsync
        fsyncInterval = configuration.fsyncInterval
        segmentBytes = min(64 << 20, max(64 << 10, configuration.maxDiskBytes / 16))
        ringCapacity = core.read { $0.ring.capacityBytes }
    }

    deinit {
        close(active.descriptor)
    }

    var occupancy: (points: Int, bytes: Int) { core.occupancy }

    /// Whether `bytes` more bytes of lines (with their record overhead) fit in the disk budget.
    func hasRoom(forBytes bytes: Int) -> Bool {
        core.read(\.diskBytes) + reserve(forBytes: bytes) <= core.capacityBytes
    }

    /// What `bytes` more bytes of lines may take on disk, with what is staged.
    private func reserve(forBytes bytes: Int) -> Int {
        staged.records.count + bytes + bytes / 2 + 4096
    }

    /// Stages the lines as one record; `commit()` writes it. Never waits.
    func append(
        lines: UnsafeBufferPointer<UInt8>,
        lineLengths: UnsafeBufferPointer<UInt32>,
        waitingUpTo timeout: Duration
    ) -> Bool {
        guard lines.count <= ringCapacity else { return false }
        // A record holds at least one point: recovery reads a zeroed run as damage, not records.
        guard lineLengths.count > 0 else { return true }
        staged.recordStarts.append(staged.records.count)
        staged.recordPoints.append(lineLengths.count)
        SegmentFormat.appendRecord(lines: lines, lineLengths: lineLengths, to: &staged.records)
        staged.lines.append(contentsOf: lines)
        staged.lengths.append(contentsOf: lineLengths)
        return true
    }

    func commit() throws(BridgeError) {
        let syncDue =
            fsyncPolicy == .burst || (fsyncPolicy == .interval && ContinuousClock.now - lastSync >= fsyncInterval)
        guard !staged.records.isEmpty else {
            if unsynced && syncDue && fsyncPolicy != .off { try syncActive() }
            return
        }
        if active.length >= segmentBytes { try rotate() }
        let base = active.length
        do throws(BridgeError) {
            try FileIO.write(active.descriptor, staged.records, at: base, path: active.path)
            unsynced = true
            if syncDue && fsyncPolicy != .off { try syncActive() }
        } catch {
            // No partial record may stay behind: the next commit writes the burst again.
            try? FileIO.truncate(active.descriptor, to: base, path: active.path)
            throw error
        }
        active.length = base + staged.records.count
        let (id, length) = (active.id, active.length)
        core.update { $0.committed(staged, segment: id, at: base, length: length) }
        staged.removeAll()
    }

    private func syncActive() throws(BridgeError) {
        try FileIO.sync(active.descriptor, path: active.path)
        lastSync = .now
        unsynced = false
    }

    /// Finishes the active segment and starts the next one.
    private func rotate() throws(BridgeError) {
        if unsynced && fsyncPolicy != .off { try syncActive() }
        let id = active.id + 1
        let path = directory.segmentPath(id)
        let descriptor = try DurablePointBuffer.createSegment(id: id, path: path, sync: fsyncPolicy != .off)
        if fsyncPolicy != .off { try FileIO.syncDirectory(directory.path) }
        close(active.descriptor)
        active = ActiveSegment(descriptor: descriptor, id: id, length: SegmentFormat.headerBytes, path: path)
        core.update { $0.started(segment: id) }
    }

    func dropOldest(freeing bytes: Int) -> (points: Int, bytes: Int) {
        let reserve = reserve(forBytes: bytes)
        let capacity = core.capacityBytes
        let dropped = core.update { $0.dropOldest(toFit: reserve, within: capacity) }
        for segment in dropped where !segment.keep {
            // Deleted only after it left the list, so the writer never reads it again. A crash
            // before the deletion brings its points back at the next start, which loses nothing.
            unlink(directory.segmentPath(segment.id))
        }
        return (dropped.reduce(0) { $0 + $1.points }, dropped.reduce(0) { $0 + $1.lineBytes })
    }
}

@available(*, unavailable)
extension DurablePointIntake: Sendable {}
