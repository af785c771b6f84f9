// iotflow-bridge: swift-log output for journald (priority prefixes) or a terminal.
// SPDX-License-Identifier: Apache-2.0

import Foundation
public import Logging
import Synchronization

/// Writes one line per log event to stderr (or the descriptor it is given).
///
/// Under systemd (stderr is the stream `$JOURNAL_STREAM` names) each line starts with the
/// `<N>` syslog priority journald parses (sd-daemon(3)), and carries no timestamp because the
/// journal adds one. Otherwise lines read `2026-11-22T10:00:00.123Z notice Connected. key=value`.
/// Metadata is printed `key=value`, sorted, after the message. Safe from any thread: each line
/// is written with one `write(2)`, which keeps lines whole.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let forJournal: Bool
    private let output: CInt

    /// A handler; `forJournal` picks the journald format (see `stderrIsJournal()`). `output` is
    /// the descriptor lines go to: 2 (stderr) but in tests.
    public init(level: Logger.Level, forJournal: Bool, output: CInt = 2) {
        self.logLevel = level
        self.forJournal = forJournal
        self.output = output
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
        var line = forJournal ? "<\(Self.priority(event.level))>" : "\(Self.timestamp()) \(event.level) "
        line += event.message.description
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(Self.quoted(value.description))"
        }
        line += "\n"
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
