// iotflow-bridge: what start-up does with what the durable buffer's state directory holds.
// SPDX-License-Identifier: Apache-2.0

/// One entry of the state directory, as `lstat` saw it (links are never followed).
public struct StateEntry: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case regularFile, symbolicLink, directory, other
    }

    public var name: String
    public var kind: Kind

    public init(_ name: String, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// The decisions of start-up recovery, made from the state directory's entries, the checkpoint
/// file's bytes and each segment file's bytes; the file-system calls are the caller's.
///
/// The rule: nothing is deleted that cannot be shown to be delivered. A segment is deleted only
/// when a checkpoint that matches the segments on disk lies after it (and then only once any
/// damage in it has a `.corrupt` copy), or when it is the newest and holds no record. A
/// checkpoint that does not match is reported and ignored: everything is sent again from the
/// oldest segment (InfluxDB overwrites the byte-identical points). Entries the bridge did not
/// write are reported and left alone, and the next segment id is above every segment-like name.
public struct RecoveryPlan: Equatable, Sendable {
    /// An entry start-up leaves alone, and why.
    public struct LeftAlone: Equatable, Sendable, CustomStringConvertible {
        public var name: String
        public var reason: String
        public var description: String { "\(name) (\(reason))" }
    }

    /// A segment file to read, or read.
    public struct Segment: Equatable, Sendable {
        public var id: UInt64
        public var fileName: String { SegmentFormat.fileName(id: id) }
        /// The file's bytes after recovery (a cut torn tail no longer counts).
        public var length: Int
        /// Ranges the writer must skip: damage, and a torn tail left in a damaged file.
        public var unreadable: [Range<Int>]
        /// Bytes of damage (the torn tail not included), and the torn tail.
        public var damagedBytes: Int
        public var tornBytes: Int
        /// Truncate the file to this length (a torn tail in an otherwise undamaged file).
        public var cutTo: Int?
        /// Whether the file is damaged and has no `.corrupt` copy yet: make one before anything
        /// else (a hard link: the file as found, kept when the segment is deleted).
        public var needsCopy: Bool
        /// Points (and line bytes) to send from it.
        public var points: Int
        public var lineBytes: Int
        /// Valid records in the file.
        public var records: Int
    }

    /// Segments kept, oldest first; the writer starts at `start`.
    public var segments: [Segment] = []
    /// Segments wholly before a matching checkpoint: delivered. Delete each once any damage in
    /// it has a copy (`needsCopy` done).
    public var delivered: [Segment] = []
    /// The newest segment file, holding nothing (no whole header): delete it.
    public var unwritten: String?
    /// The first record to send: (segment, offset, points of it already taken). Nil when no
    /// segment is kept.
    public var start: BufferCheckpoint?
    /// Why the checkpoint file was not trusted, when it was not.
    public var checkpointProblem: String?
    /// Entries the bridge did not write (or cannot use), in name order.
    public var leftAlone: [LeftAlone] = []
    /// The id for the next segment: above every segment-like name in range, any kind of entry.
    public var nextID: UInt64 = 1
}

/// Builds a `RecoveryPlan`: `readsCheckpoint` and `segmentsToRead` tell which files to read;
/// `read(checkpoint:)` and `read(segment:bytes:)` take their bytes (segments in that order);
/// `plan()` gives the decisions.
public struct RecoveryPlanner: Sendable {
    /// Whether the directory holds a checkpoint file (a regular file) to read.
    public let readsCheckpoint: Bool
    /// The segment files to read, oldest first (regular files named as a segment in range).
    public let segmentsToRead: [UInt64]
    private let copies: Set<UInt64>
    /// The decisions made from the listing and the files read so far.
    private var found = RecoveryPlan()
    private var checkpoint: BufferCheckpoint?
    /// The checkpoint's segment, once read.
    private var checkpointSurvey: SegmentSurvey?
    private var checkpointPlace: Result<SegmentSurvey.Place, SegmentSurvey.Mismatch>?
    private var surveyed: [RecoveryPlan.Segment] = []

    /// `entries`: the state directory's listing.
    public init(entries: [StateEntry]) {
        var segments: [UInt64] = []
        var copies = Set<UInt64>()
        var highest: UInt64 = 0
        for entry in entries.sorted(by: { $0.name < $1.name }) {
            let copyOf = entry.name.hasSuffix(".corrupt") ? String(entry.name.dropLast(8)) : nil
            guard let id = SegmentFormat.segmentID(fileName: copyOf ?? entry.name) else {
                if ["lock", "checkpoint", "checkpoint.tmp"].contains(entry.name) && entry.kind == .regularFile {
                    continue
                }
                let reason = entry.kind == .regularFile ? "not a file the bridge writes" : Self.describe(entry.kind)
                found.leftAlone.append(RecoveryPlan.LeftAlone(name: entry.name, reason: reason))
                continue
            }
            guard SegmentFormat.idRange.contains(id) else {
                found.leftAlone.append(RecoveryPlan.LeftAlone(name: entry.name, reason: "segment id out of range"))
                continue
            }
            // Any entry with the name blocks creating a segment there, so the next id is above it.
            highest = max(highest, id)
            guard entry.kind == .regularFile else {
                found.leftAlone.append(RecoveryPlan.LeftAlone(name: entry.name, reason: Self.describe(entry.kind)))
                continue
            }
            if copyOf != nil { copies.insert(id) } else { segments.append(id) }
        }
        segmentsToRead = segments.sorted()
        self.copies = copies
        found.nextID = highest + 1
        readsCheckpoint = entries.contains(StateEntry("checkpoint", .regularFile))
    }

    /// Takes the checkpoint file's bytes (`[]` when it cannot be read), before any segment's.
    public mutating func read(checkpoint bytes: [UInt8]) {
        checkpoint = BufferCheckpoint(encoded: bytes)
        if checkpoint == nil { found.checkpointProblem = "not a valid checkpoint file (\(bytes.count) bytes)" }
    }

    private static func describe(_ kind: StateEntry.Kind) -> String {
        switch kind {
        case .regularFile: "a regular file"
        case .symbolicLink: "a symbolic link, not followed"
        case .directory: "a directory"
        case .other: "not a regular file"
        }
    }

    /// Takes the bytes of segment `id`, the next of `segmentsToRead`.
    public mutating func read(segment id: UInt64, bytes: UnsafeRawBufferPointer) {
        let survey = SegmentSurvey(bytes, id: id, isNewest: id == segmentsToRead.last)
        let name = SegmentFormat.fileName(id: id)
        switch survey.kind {
        case .unwritten:
            found.unwritten = name
            return
        case .otherID(let named):
            found.leftAlone.append(.init(name: name, reason: "its header names segment \(named)"))
            return
        case .notASegment:
            found.leftAlone.append(.init(name: name, reason: "not a segment: no valid header or record"))
            return
        case .segment:
            break
        }
        if let checkpoint, checkpoint.segment == id {
            checkpointSurvey = survey
            checkpointPlace = survey.place(of: checkpoint, in: bytes)
        }
        // A torn tail is cut only from an undamaged file, so that the copy (a hard link) of a
        // damaged one stays the file as found; in a damaged file the writer skips it.
        let cut = survey.damage.isEmpty ? survey.tornTail?.lowerBound : nil
        surveyed.append(
            RecoveryPlan.Segment(
                id: id,
                length: cut ?? survey.fileBytes,
                unreadable: survey.damage + (cut == nil ? survey.tornTail.map { [$0] } ?? [] : []),
                damagedBytes: survey.damagedBytes,
                tornBytes: survey.tornTail?.count ?? 0,
                cutTo: cut,
                needsCopy: !survey.damage.isEmpty && !copies.contains(id),
                points: survey.points,
                lineBytes: survey.lineBytes,
                records: survey.records.count
            )
        )
    }

    /// The decisions, once every segment of `segmentsToRead` was read.
    public func plan() -> RecoveryPlan {
        var plan = found
        var place: SegmentSurvey.Place?
        if let checkpoint {
            switch checkpointPlace {
            case .success(let found): place = found
            case .failure(let mismatch):
                plan.checkpointProblem = "segment \(checkpoint.segment): \(mismatch)"
            case nil:
                plan.checkpointProblem = "segment \(checkpoint.segment) is not in the directory"
            }
        }
        for var segment in surveyed {
            if let checkpoint, place != nil, segment.id < checkpoint.segment {
                plan.delivered.append(segment)
                continue
            }
            if let checkpoint, let place, let survey = checkpointSurvey, segment.id == checkpoint.segment {
                // The first segment kept: those before it were delivered.
                (segment.points, segment.lineBytes) = survey.pending(from: place)
                switch place {
                case .record(let index, let taken, _):
                    plan.start = BufferCheckpoint(
                        segment: segment.id,
                        offset: UInt64(survey.records[index].offset),
                        acceptedPoints: UInt32(taken)
                    )
                case .end:
                    plan.start = BufferCheckpoint(segment: segment.id, offset: UInt64(segment.length))
                }
            }
            if plan.start == nil {
                let first = SegmentFormat.readableRun(
                    from: SegmentFormat.headerBytes,
                    length: segment.length,
                    damage: segment.unreadable
                )
                plan.start = BufferCheckpoint(segment: segment.id, offset: UInt64(first.lowerBound))
            }
            plan.segments.append(segment)
        }
        return plan
    }
}
