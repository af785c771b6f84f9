// iotflow-bridge: the dead-letter file, appended and rotated.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Foundation
import Glibc
public import Logging
import Synchronization

/// Appends `DeadLetter` records to one JSON-lines file, rotating it so that it never passes
/// `maxBytes` (`path` → `path.1` → … → `path.<maxFiles>`, the oldest deleted): the file is
/// rotated before any record that would take it past the limit, so the bound holds per append.
///
/// The bridge keeps two: rejected lines (`dead_letters.path`) and refused messages
/// (`dead_letters.refused_path`), so junk from devices never rotates away what InfluxDB rejected.
///
/// Safe from any thread (one lock around the file). A write that fails never stops the bridge: it
/// is reported to the caller (how many records are in the file, and why the rest are not), and
/// `append` also logs it at `error`, rate-limited, with the path. A record a failed write cut short
/// is ended by a newline before the next write, so it cannot spoil the records after it.
public final class DeadLetterFile: Sendable {
    private struct State {
        var descriptor: CInt = -1
        var size = 0
        var failureLog = LogRateLimiter(burst: 5, window: .seconds(60))
        var failing = false
    }

    /// The file's path.
    public let path: String
    private let maxBytes: Int
    private let maxFiles: Int
    private let logger: Logger
    private let state = Mutex(State())

    /// A writer for `path`, rotated at `maxBytes` keeping `maxFiles` old files; opened on first use.
    public init(path: String, maxBytes: Int, maxFiles: Int, logger: Logger) {
        self.path = path
        self.maxBytes = maxBytes
        self.maxFiles = maxFiles
        self.logger = logger
    }

    /// The file of lines InfluxDB rejected (`dead_letters.path`).
    public convenience init(configuration: DeadLetterConfiguration, logger: Logger) {
        self.init(
            path: configuration.path,
            maxBytes: configuration.maxBytes,
            maxFiles: configuration.maxFiles,
            logger: logger
        )
    }

    /// The file of messages the mapping refused (`dead_letters.refused_path`).
    public static func refusedMessages(_ configuration: DeadLetterConfiguration, logger: Logger) -> DeadLetterFile {
        DeadLetterFile(
            path: configuration.resolvedRefusedPath,
            maxBytes: configuration.refusedMaxBytes,
            maxFiles: configuration.refusedMaxFiles,
            logger: logger
        )
    }

    deinit {
        state.withLock { if $0.descriptor >= 0 { close($0.descriptor) } }
    }

    /// Appends the records, in order; returns how many were written to the file (the first ones;
    /// fewer than given when a write failed, which is logged).
    @discardableResult
    public func append(_ letters: [DeadLetter]) -> Int {
        let (written, failure) = appendReporting(letters)
        state.withLock { state in
            guard let failure else {
                if state.failing {
                    state.failing = false
                    logger.notice(
                        "The dead-letter file takes writes again.",
                        metadata: ["dead_letters.path": "\(path)"]
                    )
                }
                return
            }
            let (admitted, suppressed) = state.failureLog.admit(at: .now)
            if admitted || !state.failing {
                logger.error(
                    "Cannot write the dead-letter file.",
                    metadata: [
                        "dead_letters.path": "\(path)", "error": "\(failure)",
                        "dead_letters.records": "\(letters.count - written)", "log.suppressed": "\(suppressed)",
                    ]
                )
            }
            state.failing = true
        }
        return written
    }

    /// Appends the records, in order, without logging: how many were written (the first ones),
    /// and what stopped the rest, if anything did. A caller that keeps the rest writes them again.
    public func appendReporting(_ letters: [DeadLetter]) -> (written: Int, failure: (any Error)?) {
        guard !letters.isEmpty else { return (0, nil) }
        return state.withLock { state in
            var written = 0
            do {
                try openIfNeeded(&state)
                // Records that fit together go in one write; rotation comes between records.
                var chunk: [UInt8] = []
                var chunkRecords = 0
                for letter in letters {
                    let record = Array(letter.jsonLine.utf8)
                    let held = state.size + chunk.count
                    if held > 0 && held + record.count > maxBytes {
                        try flush(&chunk, state: &state)
                        written += chunkRecords
                        chunkRecords = 0
                        try rotate(&state)
                    }
                    chunk += record
                    chunkRecords += 1
                }
                try flush(&chunk, state: &state)
                return (written + chunkRecords, nil)
            } catch {
                if state.descriptor >= 0 {
                    close(state.descriptor)
                    state.descriptor = -1
                }
                return (written, error)
            }
        }
    }

    private func flush(_ chunk: inout [UInt8], state: inout State) throws {
        guard !chunk.isEmpty else { return }
        try openIfNeeded(&state)
        try writeAll(chunk, to: state.descriptor)
        state.size += chunk.count
        chunk.removeAll(keepingCapacity: true)
    }

    private func openIfNeeded(_ state: inout State) throws {
        guard state.descriptor < 0 else { return }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            // The records hold payloads: the directories made here and the file are the owner's only.
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
        let descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw BridgeError.system("cannot open", path) }
        var status = stat()
        fstat(descriptor, &status)
        state.descriptor = descriptor
        state.size = Int(status.st_size)
        var last: UInt8 = 0
        if state.size > 0, pread(descriptor, &last, 1, off_t(state.size - 1)) == 1, last != UInt8(ascii: "\n") {
            // A write that failed part-way left a torn record: end it, so the next one stays readable.
            try writeAll(Array("\n".utf8), to: descriptor)
            state.size += 1
        }
    }

    /// Moves the file aside (`path.1`, …) and opens a new one.
    private func rotate(_ state: inout State) throws {
        close(state.descriptor)
        state.descriptor = -1
        if maxFiles == 0 {
            unlink(path)
        } else {
            unlink("\(path).\(maxFiles)")
            for index in stride(from: maxFiles - 1, through: 1, by: -1) {
                rename("\(path).\(index)", "\(path).\(index + 1)")
            }
            rename(path, "\(path).1")
        }
        logger.notice("Rotated the dead-letter file.", metadata: ["dead_letters.path": "\(path)"])
        try openIfNeeded(&state)
    }

    private func writeAll(_ bytes: [UInt8], to descriptor: CInt) throws {
        var remaining = bytes[...]
        while !remaining.isEmpty {
            let written = remaining.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw BridgeError.system("cannot write", path)
            }
            remaining = remaining.dropFirst(written)
        }
    }
}
