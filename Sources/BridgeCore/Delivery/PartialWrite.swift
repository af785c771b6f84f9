// iotflow-bridge: InfluxDB 1.x partial writes: which lines were dropped, where the reply says.
// SPDX-License-Identifier: Apache-2.0

/// An InfluxDB 1.x reply saying that some points of a request were dropped and **the others
/// were stored**: a 400 whose error reads `partial write: <reason> dropped=N` (2.x answers a
/// 422 `failure writing points to database: partial write: … dropped=N` with the same meaning;
/// REFERENCE.md §A "Field type conflicts", §B.1, §G).
///
/// 1.x has no structured form for this: the `partial write:` prefix and the `dropped=N` suffix
/// of the error text are the protocol's only signal, so this is the one place where the bridge
/// reads a reply's free text. The reasons it can tie to lines:
///
/// | reason | the dropped lines |
/// |---|---|
/// | `unable to parse '<line>': …` (one per line, `dropped=0`) | the quoted lines |
/// | `field type conflict: input field "f" on measurement "m" is type X, …` | lines of `m` whose field `f` has type X |
/// | `points beyond retention policy` | the N oldest lines (1.x drops every point older than now − the policy's duration) |
/// | anything else (`max-values-per-tag limit exceeded`, …) | not known |
///
/// A pure value, safe from any thread.
public struct PartialWrite: Equatable, Sendable {
    /// What the reply says was dropped.
    public enum Cause: Equatable, Sendable {
        /// Lines that did not parse, each quoted in the message.
        case unparseable
        /// Points whose field had another type than the one stored (1.x names only the first).
        case fieldTypeConflict(measurement: String, field: String, inputType: String)
        /// Points older than the retention policy keeps.
        case beyondRetention
        /// A reason that names no line.
        case other
    }

    /// The server's whole message, the dead-letter reason of every line it drops.
    public var message: String
    /// How many points were dropped: N from `dropped=N` (clamped to 0…Int.max) or, for parse
    /// errors, which 1.x reports with `dropped=0`, the number of lines the message quotes.
    public var dropped: Int
    /// Why.
    public var cause: Cause

    private static let prefix = "partial write: "
    private static let v2Prefix = "failure writing points to database: partial write: "
    private static let unparseable = "unable to parse '"
    private static let conflict = "field type conflict: input field \""

    /// Reads a reply's error message; nil unless it is a partial write.
    public init?(message: String) {
        let text: Substring
        if message.hasPrefix(Self.prefix) {
            text = message.dropFirst(Self.prefix.count)
        } else if message.hasPrefix(Self.v2Prefix) {
            text = message.dropFirst(Self.v2Prefix.count)
        } else {
            return nil
        }
        guard let marker = text.ranges(of: " dropped=").last else { return nil }
        let digits = text[marker.upperBound...]
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        // A count past Int.max is nonsense, but it still says "every line".
        let count = Int(digits) ?? .max
        let reason = text[..<marker.lowerBound]
        self.message = message
        if reason.hasPrefix(Self.unparseable) {
            cause = .unparseable
            dropped = max(count, reason.ranges(of: Self.unparseable).count)
        } else if reason.hasPrefix(Self.conflict), let conflict = Self.conflictNames(reason) {
            cause = .fieldTypeConflict(measurement: conflict.0, field: conflict.1, inputType: conflict.2)
            dropped = count
        } else if reason == "points beyond retention policy" {
            cause = .beyondRetention
            dropped = count
        } else {
            cause = .other
            dropped = count
        }
    }

    /// `input field "f" on measurement "m" is type X, already exists as type Y` → (m, f, X).
    private static func conflictNames(_ reason: Substring) -> (String, String, String)? {
        let rest = reason.dropFirst(conflict.count)
        guard let onMeasurement = rest.firstRange(of: "\" on measurement \""),
            let isType = rest[onMeasurement.upperBound...].firstRange(of: "\" is type "),
            let already = rest[isType.upperBound...].firstRange(of: ", already exists as type ")
        else { return nil }
        return (
            String(rest[onMeasurement.upperBound..<isType.lowerBound]),
            String(rest[..<onMeasurement.lowerBound]),
            String(rest[isType.upperBound..<already.lowerBound])
        )
    }

    /// Which of a request's lines were dropped, as far as the reply tells.
    public struct Identification: Equatable, Sendable {
        /// Lines (0-based within the request, ascending) the reply names or implies as dropped.
        public var dropped: [Int]
        /// Lines (ascending) among which `unnamed` more were dropped without the reply saying which.
        public var candidates: [Int]
        /// How many of `candidates` were dropped, at most `candidates.count`.
        public var unnamed: Int

        /// An identification; by default, of nothing.
        public init(dropped: [Int] = [], candidates: [Int] = [], unnamed: Int = 0) {
            self.dropped = dropped
            self.candidates = candidates
            self.unnamed = unnamed
        }
    }

    /// Ties the reply to `lines`, the request's lines in order (each with or without its newline).
    ///
    /// The lines the reason names are dropped; when they are fewer than `dropped`, the rest were
    /// dropped among the lines it does not name (`candidates`), which the caller cannot tell apart.
    /// When the reason names more (a type conflict in one shard, while the same field is still free
    /// in another), all named lines count as dropped: replaying a stored point is harmless.
    public func identify(_ lines: [ArraySlice<UInt8>]) -> Identification {
        switch cause {
        case .unparseable:
            return Self.completed(named: quotedLines(lines), dropped: dropped, of: lines.count)
        case .fieldTypeConflict(let measurement, let field, let inputType):
            let named = lines.indices.filter { index in
                let line = SentLine(lines[index])
                return line.measurement.elementsEqual(measurement.utf8)
                    && line.fields.contains { $0.type == inputType && $0.key.elementsEqual(field.utf8) }
            }
            return Self.completed(named: named, dropped: dropped, of: lines.count)
        case .beyondRetention:
            return Self.oldest(dropped, of: lines)
        case .other:
            return Self.completed(named: [], dropped: dropped, of: lines.count)
        }
    }

    /// `named`, plus the other lines as candidates for what `dropped` says is left.
    private static func completed(named: [Int], dropped: Int, of count: Int) -> Identification {
        guard named.count < dropped else { return Identification(dropped: named) }
        let others = Set(named)
        let candidates = (0..<count).filter { !others.contains($0) }
        return Identification(
            dropped: named,
            candidates: candidates,
            unnamed: min(dropped - named.count, candidates.count)
        )
    }

    /// The lines the message quotes as `unable to parse '<line>': …`.
    private func quotedLines(_ lines: [ArraySlice<UInt8>]) -> [Int] {
        var byText: [ArraySlice<UInt8>: [Int]] = [:]
        var longest = 0
        for (index, line) in lines.enumerated() {
            let text = line.last == UInt8(ascii: "\n") ? line.dropLast() : line
            byText[text, default: []].append(index)
            longest = max(longest, text.count)
        }
        // Each quote ends at one of the `': ` that follow it; try each against the lines sent.
        let text = Array(message.utf8)
        let opening = Array(Self.unparseable.utf8)
        let closing = Array("': ".utf8)
        var named: Set<Int> = []
        var start = 0
        while let open = text[start...].firstRange(of: opening) {
            var searchFrom = open.upperBound
            while let close = text[searchFrom...].firstRange(of: closing),
                close.lowerBound - open.upperBound <= longest
            {
                if let indices = byText[text[open.upperBound..<close.lowerBound]] {
                    named.formUnion(indices)
                    break
                }
                searchFrom = close.lowerBound + 1
            }
            start = open.upperBound
        }
        return named.sorted()
    }

    /// 1.x drops exactly the points older than its cut-off, so the `count` oldest lines are the
    /// dropped ones, unless the oldest kept line has the same timestamp as the newest dropped one
    /// (the count then includes points dropped for other reasons): lines at that timestamp are
    /// candidates. Lines without a timestamp got the server's time, which is never too old.
    private static func oldest(_ count: Int, of lines: [ArraySlice<UInt8>]) -> Identification {
        guard count > 0 else { return Identification() }
        let stamped = lines.indices.compactMap { index in SentLine(lines[index]).timestamp.map { (index, $0) } }
        let sorted = stamped.map(\.1).sorted()
        guard count < sorted.count else {
            return completed(named: stamped.map(\.0), dropped: count, of: lines.count)
        }
        let newestDropped = sorted[count - 1]
        if newestDropped < sorted[count] {
            return Identification(dropped: stamped.filter { $0.1 <= newestDropped }.map(\.0))
        }
        let named = stamped.filter { $0.1 < newestDropped }.map(\.0)
        let tied = stamped.filter { $0.1 == newestDropped }.map(\.0)
        return Identification(dropped: named, candidates: tied, unnamed: min(count - named.count, tied.count))
    }
}
