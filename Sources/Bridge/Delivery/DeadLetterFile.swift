// iotflow-bridge: the dead-letter file, appended and rotated.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Foundation
import Glibc
public import Logging
import Synchronization

/// Appends `DeadLetter` records to `dead_letters.path` as JSON lines, rotating the file at
/// `dead_letters.max_bytes` (`path` → `path.1` → … → `path.<max_files>`, the oldest deleted).
///
/// Safe from any thread (one lock around the file). A file that cannot be written never stops
/// the bridge: the records are logged instead (at `error`, rate-limited) and counted.
public final class DeadLetterFile: Sendable {
    private struct State {
        var descriptor: CInt = -1
        var size = 0
        var failureLog = LogRateLimiter(burst: 5, window: .seconds(60))
    }

    private let configuration: DeadLetterConfiguration
    private let logger: Logger
    private let state = Mutex(State())

    /// A writer for `configuration`; the file is opened on first use.
    public init(configuration: DeadLetterConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        state.withLock { if $0.descriptor >= 0 { close($0.descriptor) } }
    }

    /// Appends the records; returns how many were written to the file.
    @discardableResult
    public func append(_ letters: [DeadLetter]) -> Int {
        guard !letters.isEmpty else { return 0 }
        let text = letters.map(\.jsonLine).joined()
        return state.withLock { state in
            do {
                try appendText(text, state: &state)
                return letters.count
            } catch {
                let (admitted, suppressed) = state.failureLog.admit(at: .now)
                if admitted {
                    logger.error(
                        "Cannot write the dead-letter file; the refused lines are only logged.",
                        metadata: [
                            "dead_letters.path": "\(configuration.path)", "error": "\(error)",
                            "dead_letters.lines": "\(text.prefix(4096))", "log.suppressed": "\(suppressed)",
                        ]
                    )
                }
                return 0
            }
        }
    }

    /// Appends the records without logging. When it throws, the caller keeps them and writes them
    /// again later; a record the failure cut short is then ended by a newline, so it cannot spoil
    /// the next one.
    ///
    /// - Throws: what failed: creating the directory, opening or writing the file.
    public func appendOrThrow(_ letters: [DeadLetter]) throws {
        guard !letters.isEmpty else { return }
        let text = letters.map(\.jsonLine).joined()
        try state.withLock { state in try appendText(text, state: &state) }
    }

    private func appendText(_ text: String, state: inout State) throws {
        do {
            try rotateIfNeeded(&state, adding: text.utf8.count)
            try openIfNeeded(&state)
            try writeAll(text, to: state.descriptor)
            state.size += text.utf8.count
        } catch {
            if state.descriptor >= 0 {
                close(state.descriptor)
                state.descriptor = -1
            }
            throw error
        }
    }

    private func openIfNeeded(_ state: inout State) throws {
        guard state.descriptor < 0 else { return }
        let directory = (configuration.path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let descriptor = open(configuration.path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw BridgeError(message: "open: \(String(cString: strerror(errno)))") }
        var status = stat()
        fstat(descriptor, &status)
        state.descriptor = descriptor
        state.size = Int(status.st_size)
        var last: UInt8 = 0
        if state.size > 0, pread(descriptor, &last, 1, off_t(state.size - 1)) == 1, last != UInt8(ascii: "\n") {
            // A write that failed part-way left a torn record: end it, so the next one stays readable.
            try writeAll("\n", to: descriptor)
            state.size += 1
        }
    }

    private func rotateIfNeeded(_ state: inout State, adding bytes: Int) throws {
        if state.descriptor < 0 { try openIfNeeded(&state) }
        guard state.size > 0, state.size + bytes > configuration.maxBytes else { return }
        close(state.descriptor)
        state.descriptor = -1
        let path = configuration.path
        if configuration.maxFiles == 0 {
            unlink(path)
        } else {
            unlink("\(path).\(configuration.maxFiles)")
            for index in stride(from: configuration.maxFiles - 1, through: 1, by: -1) {
                rename("\(path).\(index)", "\(path).\(index + 1)")
            }
            rename(path, "\(path).1")
        }
        logger.notice("Rotated the dead-letter file.", metadata: ["dead_letters.path": "\(path)"])
    }

    private func writeAll(_ text: String, to descriptor: CInt) throws {
        var remaining = Array(text.utf8)[...]
        while !remaining.isEmpty {
            let written = remaining.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw BridgeError(message: "write: \(String(cString: strerror(errno)))")
            }
            remaining = remaining.dropFirst(written)
        }
    }
}
