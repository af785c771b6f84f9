// iotflow-bridge: the bytes of the durable buffer's segment and checkpoint files.
// SPDX-License-Identifier: Apache-2.0

/// The on-disk format of the durable buffer (all integers little-endian).
///
/// **Segment file** `segment-<16 hex digits>.log`: a 16-byte header (`IFBSEG01`, then the
/// segment id as a UInt64), then records back to back. Ids grow by one per segment, so name
/// order is append order.
///
/// **Record** (what one MQTT message became): `crc32c` UInt32 over everything after it,
/// `bodyLength` UInt32, `points` UInt32, then `points` UInt32 line lengths, then the lines
/// (each ending in `\n`). A record is written whole or, after a crash mid-write, detected as
/// torn by its length or checksum.
public enum SegmentFormat {
    /// The segment header's first eight bytes.
    public static let magic = Array("IFBSEG01".utf8)
    /// Bytes before the first record.
    public static let headerBytes = 16
    /// Bytes before a record's line lengths.
    public static let recordHeaderBytes = 12
    /// The largest record body accepted when reading (a sanity bound, far above any message).
    public static let maxRecordBodyBytes = 1 << 28
    /// Segment ids the bridge reads: 1 up to 2^60 − 1, so that the next id never overflows (a
    /// segment every millisecond would take 36 million years to reach the bound). A file
    /// named with an id outside this range is reported and left alone.
    public static let idRange: ClosedRange<UInt64> = 1...(1 << 60 - 1)

    /// The header of segment `id`.
    public static func header(id: UInt64) -> [UInt8] {
        var bytes = magic
        bytes.appendLittleEndian(id)
        return bytes
    }

    /// The id in a segment header, or nil when the bytes are not one.
    public static func segmentID(header bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count >= headerBytes, bytes.prefix(8).elementsEqual(magic) else { return nil }
        return bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian
    }

    /// The file name of segment `id`.
    public static func fileName(id: UInt64) -> String {
        let hex = String(id, radix: 16)
        return "segment-" + String(repeating: "0", count: max(0, 16 - hex.count)) + hex + ".log"
    }

    /// The id in a segment file name, or nil when the name is not one.
    public static func segmentID(fileName name: String) -> UInt64? {
        let utf8 = Array(name.utf8)
        guard utf8.count == 28, name.hasPrefix("segment-"), name.hasSuffix(".log") else { return nil }
        let digits = utf8[8..<24]
        guard digits.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self), radix: 16)
    }

    /// Appends the record of `lines` (complete lines, `lineLengths` giving each one's length).
    public static func appendRecord(
        lines: UnsafeBufferPointer<UInt8>,
        lineLengths: UnsafeBufferPointer<UInt32>,
        to output: inout [UInt8]
    ) {
        let start = output.count
        output.appendLittleEndian(UInt32(0))
        output.appendLittleEndian(UInt32(lineLengths.count * 4 + lines.count))
        output.appendLittleEndian(UInt32(lineLengths.count))
        for length in lineLengths { output.appendLittleEndian(length) }
        output.append(contentsOf: lines)
        let crc = output.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 4)...])) }
        output.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: start, as: UInt32.self) }
    }

    /// One record read back.
    public struct Record: Equatable, Sendable {
        /// Where the record starts.
        public var offset: Int
        /// Points in it.
        public var points: Int
        /// Where its line lengths start.
        public var lengthsOffset: Int
        /// Where its lines start, and how many bytes they take.
        public var linesOffset: Int
        public var lineBytes: Int
        /// Where the next record starts.
        public var end: Int { linesOffset + lineBytes }

        /// The record's line lengths, read from `bytes` (the ones it was scanned in).
        public func lineLengths(in bytes: UnsafeRawBufferPointer) -> LineLengths {
            LineLengths(bytes, at: lengthsOffset, count: points)
        }
    }

    /// A record's table of line lengths (UInt32 little-endian), read in place: the one walk over
    /// it, for checking a record, loading its lines and counting what a checkpoint has taken.
    /// It reads `bytes`, so it must not outlive the `withUnsafeBytes` that gave them.
    public struct LineLengths: RandomAccessCollection {
        private let bytes: UnsafeRawBufferPointer
        private let offset: Int
        public let startIndex = 0
        public let endIndex: Int

        /// The `count` lengths at `offset` of `bytes`, which must hold them.
        public init(_ bytes: UnsafeRawBufferPointer, at offset: Int, count: Int) {
            precondition(
                offset >= 0 && count >= 0 && offset + 4 * count <= bytes.count,
                "a lengths table out of bounds"
            )
            self.bytes = bytes
            self.offset = offset
            endIndex = count
        }

        /// The length in bytes (newline included) of line `index`.
        public subscript(index: Int) -> Int {
            Int(bytes.loadUnaligned(fromByteOffset: offset + 4 * index, as: UInt32.self).littleEndian)
        }
    }

    /// What is at `offset` in a segment's bytes.
    public enum Scan: Equatable, Sendable {
        /// A whole record whose checksum and lengths check out.
        case record(Record)
        /// Nothing: the bytes end here.
        case end
        /// Bytes that are not a whole valid record: cut short, or failing the checksum.
        case invalid(String)
    }

    /// Reads the record at `offset` of `bytes` (a segment's contents, or a part starting at a
    /// record boundary). The cheap checks (lengths that add up, lines that end in `\n`) come
    /// before the checksum, so that `resynchronise` can try every byte offset of a damaged run.
    public static func scan(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Scan {
        let available = bytes.count - offset
        if available == 0 { return .end }
        guard available >= recordHeaderBytes else { return .invalid("a record header cut short") }
        let crc = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
        let bodyLength = Int(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian)
        let points = Int(bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self).littleEndian)
        // Every record holds a point (`append` writes none without), so a zeroed run is not one.
        guard points > 0, bodyLength <= maxRecordBodyBytes, points * 4 < bodyLength else {
            return .invalid("an impossible record length")
        }
        guard available >= recordHeaderBytes + bodyLength else { return .invalid("a record cut short") }
        let lengthsOffset = offset + recordHeaderBytes
        let linesOffset = lengthsOffset + points * 4
        let lineBytes = bodyLength - points * 4
        var total = 0
        for length in LineLengths(bytes, at: lengthsOffset, count: points) {
            guard length > 0, length <= lineBytes - total else { return .invalid("line lengths that do not add up") }
            total += length
            guard bytes[linesOffset + total - 1] == UInt8(ascii: "\n") else {
                return .invalid("a line that does not end in a newline")
            }
        }
        guard total == lineBytes else { return .invalid("line lengths that do not add up") }
        let covered = UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + recordHeaderBytes + bodyLength)])
        guard CRC32C.checksum(covered) == crc else { return .invalid("a record failing its checksum") }
        return .record(
            Record(
                offset: offset,
                points: points,
                lengthsOffset: lengthsOffset,
                linesOffset: linesOffset,
                lineBytes: lineBytes
            )
        )
    }

    /// The first offset after `offset` where a whole valid record starts, or nil when none
    /// does: where reading goes on after damage. Costs one `scan` per byte tried; a false
    /// match needs the lengths, the newlines and the CRC-32C to agree by chance.
    public static func resynchronise(_ bytes: UnsafeRawBufferPointer, after offset: Int) -> Int? {
        var candidate = offset + 1
        while candidate + recordHeaderBytes < bytes.count {
            if case .record = scan(bytes, at: candidate) { return candidate }
            candidate += 1
        }
        return nil
    }

    /// Whether the bytes from `offset` to the end (where no valid record starts, and none
    /// follows) are a record cut short by the end of the file, as a crash mid-write leaves it:
    /// fewer bytes than a record header, or a plausible header whose body runs past the end.
    /// A record whose bytes are all there but fail their checks is damage, not a torn write.
    public static func isCutShort(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        let available = bytes.count - offset
        guard available >= recordHeaderBytes else { return available > 0 }
        let bodyLength = Int(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian)
        let points = Int(bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self).littleEndian)
        return points > 0 && bodyLength <= maxRecordBodyBytes && points * 4 < bodyLength
            && recordHeaderBytes + bodyLength > available
    }

    /// The readable run of a segment from `offset`: `offset` moved past a damaged range it
    /// falls in, up to the next damaged range or `length`. `damage` is sorted and disjoint.
    public static func readableRun(from offset: Int, length: Int, damage: [Range<Int>]) -> Range<Int> {
        var start = offset
        for range in damage where range.contains(start) { start = range.upperBound }
        let end = damage.first { $0.lowerBound >= start }?.lowerBound ?? length
        return start..<max(start, min(end, length))
    }
}

/// How far InfluxDB has taken the durable buffer: every record before (`segment`, `offset`)
/// and the first `acceptedPoints` points of the record there are accepted or dead-lettered.
public struct BufferCheckpoint: Equatable, Sendable {
    public var segment: UInt64
    public var offset: UInt64
    public var acceptedPoints: UInt32

    public init(segment: UInt64, offset: UInt64, acceptedPoints: UInt32 = 0) {
        self.segment = segment
        self.offset = offset
        self.acceptedPoints = acceptedPoints
    }

    /// The checkpoint file's first eight bytes.
    static let magic = Array("IFBCKP01".utf8)
    /// The checkpoint file's size.
    public static let encodedBytes = 32

    /// The checkpoint file's contents: magic, segment, offset, accepted points, CRC-32C of the rest.
    public var encoded: [UInt8] {
        var bytes = Self.magic
        bytes.appendLittleEndian(segment)
        bytes.appendLittleEndian(offset)
        bytes.appendLittleEndian(acceptedPoints)
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        return bytes
    }

    /// Reads a checkpoint file's contents; nil when they are not a whole, valid checkpoint.
    public init?(encoded bytes: [UInt8]) {
        guard bytes.count == Self.encodedBytes, bytes.prefix(8).elementsEqual(Self.magic) else { return nil }
        let crc = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 28, as: UInt32.self).littleEndian }
        guard CRC32C.checksum(bytes[..<28]) == crc else { return nil }
        let values = bytes.withUnsafeBytes { raw in
            (
                raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian,
                raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian,
                raw.loadUnaligned(fromByteOffset: 24, as: UInt32.self).littleEndian
            )
        }
        self.init(segment: values.0, offset: values.1, acceptedPoints: values.2)
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
