// iotflow-bridge: the writer thread's half of the durable buffer: peek, remove, refill, release.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Glibc
import Logging

/// The writer thread's half of the durable buffer, owned by that thread alone: it waits for
/// points and peeks batches from the in-memory ring, refilling it from the segment files
/// (oldest first, skipping the damaged ranges recovery found) while the buffer is spilled;
/// it removes what InfluxDB has settled, records the checkpoint and deletes the segments
/// wholly before it.
final class DurablePointOutlet: PointBufferOutlet {
    /// A segment as the reader sees it: its id, length and the ranges to skip.
    private typealias SegmentFile = (id: UInt64, length: Int, unreadable: [Range<Int>])

    private let core: PointBufferCore<DurableBufferState>
    private let directory: DurableBufferDirectory
    private let logger: Logger
    private var lastCheckpoint: BufferCheckpoint?
    private var fileErrors = LogRateLimiter(burst: 1, window: .seconds(60))

    init(_ core: PointBufferCore<DurableBufferState>, directory: DurableBufferDirectory, logger: Logger) {
        self.core = core
        self.directory = directory
        self.logger = logger
    }

    var occupancy: (points: Int, bytes: Int) { core.occupancy }

    var isDurable: Bool { true }

    func waitForPoints(atLeast points: Int, until deadline: ContinuousClock.Instant) -> Int {
        core.waitForPoints(atLeast: points, until: deadline)
    }

    func peekBatch(
        maxPoints: Int,
        maxBytes: Int,
        into body: inout [UInt8],
        lineLengths: inout [Int]
    )
        -> (points: Int, bytes: Int)
    {
        if core.read({ $0.spilled && $0.ring.pointCount < maxPoints }) { loadFromFiles() }
        return core.read { state in
            state.ring.copyFrontBatch(maxPoints: maxPoints, maxBytes: maxBytes, into: &body, lineLengths: &lineLengths)
        }
    }

    func removeBatch(points: Int, bytes: Int) {
        core.update { $0.removeBatch(points: points, bytes: bytes) }
        releaseAcceptedSegments()
    }

    /// Records the checkpoint and deletes the segments wholly before it.
    private func releaseAcceptedSegments() {
        let (checkpoint, released) = core.update { $0.releaseAccepted() }
        guard checkpoint != lastCheckpoint else { return }
        do {
            // Written before the segments go: a crash in between resends, never skips.
            try FileIO.replace(directory.path + "/checkpoint", with: checkpoint.encoded)
            lastCheckpoint = checkpoint
        } catch {
            logFileError(
                "Cannot record the buffer checkpoint; a restart would resend what InfluxDB already has.",
                error
            )
        }
        for segment in released {
            let path = directory.segmentPath(segment.id)
            // A damaged segment without a `.corrupt` copy stays where it is.
            if !segment.keep && unlink(path) != 0 {
                logFileError("Cannot delete a sent buffer segment.", .system("cannot delete", path))
            }
        }
    }

    /// Loads records from the files into the ring, oldest first, while they fit.
    private func loadFromFiles() {
        let (start, budget, generation) = core.read { ($0.cursor, $0.ring.freeBytes, $0.dropGeneration) }
        let files = core.read { state in
            state.segments.filter { $0.id >= state.cursor.segment }.map {
                (id: $0.id, length: $0.length, unreadable: $0.unreadable)
            }
        }
        var loaded = DurablePointBuffer.LoadedRecords()
        var position = start
        var left = budget
        for file in files {
            if file.id != position.segment {
                position = DurablePointBuffer.Cursor(segment: file.id, offset: SegmentFormat.headerBytes, skipPoints: 0)
            }
            guard read(file, from: &position, budget: &left, since: generation, into: &loaded) else { break }
        }
        let taken = core.update { $0.loaded(loaded, endingAt: position, readAt: generation) }
        if taken && (!loaded.records.isEmpty || files.count > 1) { releaseAcceptedSegments() }
    }

    /// Reads the readable runs of `file` from `position` on, while they fit `budget`, and moves
    /// `position` past what it read. False when reading stops here: out of budget, a chunk that
    /// ended mid-record, damage found at run time, or a read error (logged unless the segment
    /// was dropped since `generation`).
    private func read(
        _ file: SegmentFile,
        from position: inout DurablePointBuffer.Cursor,
        budget: inout Int,
        since generation: Int,
        into loaded: inout DurablePointBuffer.LoadedRecords
    ) -> Bool {
        var run = SegmentFormat.readableRun(from: position.offset, length: file.length, damage: file.unreadable)
        position.offset = run.lowerBound
        while !run.isEmpty {
            do {
                let path = directory.segmentPath(file.id)
                if let damage = try DurablePointBuffer.load(
                    run,
                    of: file.id,
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
                if core.read({ $0.dropGeneration == generation }) {
                    logFileError("Cannot read the buffer; will try again.", error)
                }
                return false
            }
            guard position.offset == run.upperBound else { return false }
            run = SegmentFormat.readableRun(from: position.offset, length: file.length, damage: file.unreadable)
            position.offset = run.lowerBound
        }
        return true
    }

    private func logFileError(_ message: Logger.Message, _ error: BridgeError) {
        let (admitted, suppressed) = fileErrors.admit(at: .now)
        guard admitted else { return }
        logger.error(message, metadata: ["error": "\(error)", "log.suppressed": "\(suppressed)"])
    }
}

@available(*, unavailable)
extension DurablePointOutlet: Sendable {}
