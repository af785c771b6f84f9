// iotflow-bridge: encoded points in arrival order, bounded in bytes.
// SPDX-License-Identifier: Apache-2.0

/// Encoded line-protocol points, oldest first, bounded by `capacityBytes`.
///
/// The writer reads batches from the front without removing them, and removes them only when
/// InfluxDB has answered; a failed batch therefore stays at the front, in order, for the next
/// attempt (telegraf's transaction model, with "kept" as the default). A value type; the
/// owning buffer adds the lock.
public struct PointRing: Sendable {
    private var bytes = Ring<UInt8>()
    private var lineLengths = Ring<UInt32>()

    /// The most bytes held.
    public let capacityBytes: Int
    /// Bytes held now.
    public var byteCount: Int { bytes.count }
    /// Points held now.
    public var pointCount: Int { lineLengths.count }
    /// Bytes that can still be appended.
    public var freeBytes: Int { capacityBytes - bytes.count }

    /// An empty ring holding at most `capacityBytes` bytes of points.
    public init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// Appends every point in `lines` (complete `\n`-terminated lines, `lineLengths` giving each
    /// one's length), or none of them when they do not fit. Returns whether they were appended.
    public mutating func append(
        lines: UnsafeBufferPointer<UInt8>,
        lineLengths lengths: UnsafeBufferPointer<UInt32>
    )
        -> Bool
    {
        guard lines.count <= freeBytes else { return false }
        bytes.append(contentsOf: lines, filler: 0)
        lineLengths.append(contentsOf: lengths, filler: 0)
        return true
    }

    /// How many points and bytes from the front make the next batch: at most `maxPoints`
    /// points and `maxBytes` bytes, but always at least one point when any is held (a point
    /// larger than `maxBytes` is sent alone rather than never).
    public func frontBatch(maxPoints: Int, maxBytes: Int) -> (points: Int, bytes: Int) {
        var points = 0
        var total = 0
        while points < min(maxPoints, lineLengths.count) {
            let length = Int(lineLengths[points])
            if points > 0 && total + length > maxBytes { break }
            total += length
            points += 1
        }
        return (points, total)
    }

    /// Copies the next batch (`frontBatch`) to the end of `output` and each of its points'
    /// lengths to `lengths`, leaving it in the ring, and returns it.
    public func copyFrontBatch(
        maxPoints: Int,
        maxBytes: Int,
        into output: inout [UInt8],
        lineLengths lengths: inout [Int]
    ) -> (points: Int, bytes: Int) {
        let batch = frontBatch(maxPoints: maxPoints, maxBytes: maxBytes)
        bytes.copyFront(batch.bytes, into: &output)
        for index in 0..<batch.points { lengths.append(Int(lineLengths[index])) }
        return batch
    }

    /// The timestamp of the front (oldest) point: the digits its line ends with, nanoseconds
    /// since the epoch as the bridge writes them; nil when the ring is empty or the line has none.
    /// Reads only the end of that one line.
    public var frontTimestamp: Int64? {
        guard lineLengths.count > 0 else { return nil }
        var index = Int(lineLengths[0]) - 1
        if index >= 0 && bytes[index] == UInt8(ascii: "\n") { index -= 1 }
        var value: Int64 = 0
        var scale: Int64 = 1
        var digits = 0
        while index >= 0, digits < 19, case let byte = bytes[index], byte >= UInt8(ascii: "0"),
            byte <= UInt8(ascii: "9")
        {
            value += Int64(byte - UInt8(ascii: "0")) * scale
            scale = scale &* 10
            digits += 1
            index -= 1
        }
        guard digits > 0, index >= 0 else { return nil }
        if bytes[index] == UInt8(ascii: "-") {
            value = -value
            index -= 1
        }
        return index >= 0 && bytes[index] == UInt8(ascii: " ") ? value : nil
    }

    /// Removes the first `points` points, which span `byteCount` bytes.
    public mutating func removeFront(points: Int, bytes byteCount: Int) {
        bytes.removeFront(byteCount)
        lineLengths.removeFront(points)
    }
}
