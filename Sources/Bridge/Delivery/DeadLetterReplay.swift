// iotflow-bridge: `dead-letters replay FILE`: resend what InfluxDB rejected, once the cause is fixed.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Foundation
public import Logging
import Synchronization

/// Resends the `line`s of a dead-letter file (after, say, a schema fix), in batches of
/// `influxdb.batch_size`, with the same salvage as the writer: lines rejected again are written
/// to `<file>.rejected` with the new reason, so nothing is lost either way.
public enum DeadLetterReplay {
    /// What a replay did.
    public struct Report: Sendable {
        /// Records in the file that carried a line.
        public var lines = 0
        /// Lines InfluxDB stored.
        public var stored = 0
        /// Lines rejected again, now in `<file>.rejected`.
        public var rejected = 0
        /// Records that could not be read (not JSON, or no line: mapping refusals).
        public var skipped = 0
        /// Set when a request failed for another reason (no reply, 401, 5xx …); the replay stops there.
        public var failure: String?

        /// One line for the operator: `replayed 3 lines: 2 stored, 1 rejected again (in FILE.rejected)`.
        public func summary(file: String) -> String {
            var text = "replayed \(lines) lines: \(stored) stored, \(rejected) rejected again"
            if rejected > 0 { text += " (in \(file).rejected)" }
            if skipped > 0 { text += ", \(skipped) records without a line skipped" }
            return text
        }
    }

    /// Replays `path` to the configured InfluxDB and returns what happened. The blocking
    /// requests run on a dedicated thread, like the writer's.
    public static func run(path: String, configuration: BridgeConfiguration, logger: Logger) async throws -> Report {
        let result = Mutex<Result<Report, any Error>?>(nil)
        await DedicatedThread(name: "replay") {
            let outcome = Result { try replay(path: path, configuration: configuration, logger: logger) }
            result.withLock { $0 = outcome }
        }.join()
        // The thread has finished, so the result is set.
        guard let outcome = result.withLock({ $0 }) else { preconditionFailure("replay thread ended without a result") }
        return try outcome.get()
    }

    private static func replay(path: String, configuration: BridgeConfiguration, logger: Logger) throws -> Report {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var report = Report()
        var lines: [String] = []
        for record in text.split(separator: "\n") {
            guard let letter = DeadLetter(jsonLine: String(record)), let line = letter.line else {
                report.skipped += 1
                continue
            }
            lines.append(line)
        }
        report.lines = lines.count
        let transport = try CurlInfluxTransport(configuration: configuration.influxdb, logger: logger)
        let rejected = DeadLetterFile(path: path + ".rejected", maxBytes: .max, maxFiles: 0, logger: logger)
        var start = 0
        while start < lines.count && report.failure == nil {
            let batch = Array(lines[start..<min(start + configuration.influxdb.batchSize, lines.count)])
            start += batch.count
            let rejectedBefore = report.rejected
            report.failure = replay(
                batch,
                through: transport,
                rejectedInto: rejected,
                maxSettleTime: configuration.delivery.maxSettleTime,
                report: &report
            )
            report.stored += report.failure == nil ? batch.count - (report.rejected - rejectedBefore) : 0
        }
        return report
    }

    private static func replay(
        _ lines: [String],
        through transport: CurlInfluxTransport,
        rejectedInto rejected: DeadLetterFile,
        maxSettleTime: Duration,
        report: inout Report
    ) -> String? {
        var sender = BatchSender(lines: lines, maxSettleTime: maxSettleTime)
        while let range = sender.nextRequest(maxLines: .max, maxBytes: .max, now: .now) {
            // A failure that is not about the data ends the replay: the rest waits for the fix.
            switch sender.send(range, through: transport) {
            case .configurationError(let code, let message), .throttled(let code, _, let message):
                return "HTTP \(code): \(message)"
            case .retryable(let code, let message):
                return code.map { "HTTP \($0): \(message)" } ?? message
            case .accepted, .partiallyAccepted, .partiallyWritten, .rejected, .tooLarge:
                continue
            }
        }
        rejected.append(sender.takeRejected(at: WallClock.nanoseconds()).records)
        report.rejected += sender.delivery.rejectedCount
        return nil
    }
}
