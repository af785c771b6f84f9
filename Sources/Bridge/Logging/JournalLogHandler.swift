// iotflow-bridge: swift-log output for journald (native fields, or priority prefixes) or a terminal.
// SPDX-License-Identifier: Apache-2.0

import CSystemd
import Foundation
public import Logging

/// Writes each log event as one journal entry with fields, one `<N>`-prefixed line, or one readable
/// line, as `format` says.
///
/// Under systemd (stderr is the stream `$JOURNAL_STREAM` names) the bridge uses `.journalFields`:
/// each event is one `sd_journal_sendv` call (the native protocol, so values may hold newlines)
/// with `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER=iotflow-bridge`, `CODE_FILE`, `CODE_LINE`,
/// `CODE_FUNC`, and every metadata key as a field named by `JournalField.name(forMetadataKey:)`
/// (`device_id` → `DEVICE_ID`), so `journalctl DEVICE_ID=dev-00042` finds one device's entries.
/// `MESSAGE` is the message followed by the sorted `key=value` text, so the default `journalctl`
/// output reads as before. An entry the journal refuses is written as the `.journalStream` line
/// instead: no event is lost.
///
/// `.journalStream` lines start with the `<N>` syslog priority journald parses (sd-daemon(3)) and
/// carry no timestamp, because the journal adds one. `.text` lines read
/// `2026-11-22T10:00:00.123Z notice Connected. key=value`. Safe from any thread: each line is
/// written with one `write(2)`, which keeps lines whole, and each entry is one datagram.
public struct JournalLogHandler: LogHandler {
    /// How events are written.
    public enum Format: Sendable {
        /// A readable line with a UTC timestamp and the level: a terminal or a file.
        case text
        /// A `<N>`-prefixed line for a journal stream on stderr.
        case journalStream
        /// A native journal entry with structured fields; the `.journalStream` line if it fails.
        case journalFields
    }

    /// Sends one entry: `sd_journal_sendv`'s shape (the items, their count; negative errno on failure).
    typealias Send = @Sendable (UnsafePointer<iovec>, CInt) -> CInt

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let format: Format
    private let output: CInt
    private let send: Send

    /// A handler writing in `format` (see `stderrIsJournal()` for the choice). `output` is the
    /// descriptor lines go to: 2 (stderr) but in tests.
    public init(level: Logger.Level, format: Format, output: CInt = 2) {
        self.init(level: level, format: format, output: output) { sd_journal_sendv($0, $1) }
    }

    /// A handler whose journal entries go to `send` (tests capture or refuse them there).
    init(level: Logger.Level, format: Format, output: CInt = 2, send: @escaping Send) {
        self.logLevel = level
        self.format = format
        self.output = output
        self.send = send
    }

    /// Whether stderr is connected to the journal: `$JOURNAL_STREAM` is `<device>:<inode>` of
    /// the journal socket, and matches stderr only when systemd set it up for this process.
    public static func stderrIsJournal(environment: [String: String]) -> Bool {
        guard let stream = environment["JOURNAL_STREAM"] else { return false }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        if let error = event.error { merged["error"] = "\(error)" }
        let sorted = merged.sorted { $0.key < $1.key }.map { ($0.key, $0.value.description) }
        var text = event.message.description
        for (key, value) in sorted {
            text += " \(key)=\(Self.quoted(value))"
        }
        switch format {
        case .text:
            write("\(Self.timestamp()) \(event.level) \(text)\n")
        case .journalStream:
            write("<\(Self.priority(event.level))>\(text)\n")
        case .journalFields:
            let entry = JournalEntry(event: event, priority: Self.priority(event.level), text: text, metadata: sorted)
            if entry.send(through: send) < 0 { write("<\(Self.priority(event.level))>\(text)\n") }
        }
    }

    /// One `write(2)`, so concurrent lines never interleave.
    private func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            _ = Foundation.write(output, bytes.baseAddress, bytes.count)
        }
    }

    /// syslog priorities: swift-log's seven levels map onto debug…critical.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Values with spaces, quotes or newlines are quoted, and newlines escaped, so one event is
    /// always one line (a multi-line journal entry would split into several).
    private static func quoted(_ value: String) -> String {
        guard value.contains(where: { $0 == " " || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || value.isEmpty else {
            return value
        }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\r", with: "\\r")
        return "\"\(escaped)\""
    }

    private static func timestamp() -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date())
    }
}
