// iotflow-bridge: one periodic log line with the counters.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Logging
import ServiceLifecycle

/// Logs the counters every `logging.summary_interval` at `info`, and once more when it stops,
/// so steady-state progress is one line a minute rather than one per batch. It is listed first
/// in the service group, so it stops last and its final line counts what the writer drained.
final class SummaryService: Service {
    private let interval: Duration
    private let buffer: any PointBufferHandle
    private let counters: BridgeCounters
    private let logger: Logger

    init(interval: Duration, buffer: any PointBufferHandle, counters: BridgeCounters, logger: Logger) {
        self.interval = interval
        self.buffer = buffer
        self.counters = counters
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while true {
                do {
                    try await Task.sleep(for: self.interval, tolerance: .seconds(1))
                } catch {
                    return
                }
                self.logSummary()
            }
        }
        logSummary()
    }

    /// Logs the counters now.
    func logSummary() {
        let snapshot = counters.snapshot()
        let (points, bytes) = buffer.occupancy
        let refused = snapshot.messagesRefused.values.reduce(0, +)
        logger.info(
            "Summary.",
            metadata: [
                "messages_received": "\(snapshot.messagesReceived)",
                "messages_refused": "\(refused)",
                "points_received": "\(snapshot.pointsReceived)",
                "fields_skipped": "\(snapshot.fieldsSkipped)",
                "strings_left_out": "\(snapshot.stringsLeftOut)",
                "timestamps_replaced": "\(snapshot.timestampsReplaced)",
                "retained_skipped": "\(snapshot.retainedSkipped)",
                "refused_unrecorded": "\(snapshot.refusedUnrecorded)",
                "points_written": "\(snapshot.pointsWritten)",
                "points_rejected": "\(snapshot.pointsRejected)",
                "points_dropped": "\(snapshot.pointsDropped)",
                "write_errors": "\(snapshot.writeErrors)",
                "requests": "\(snapshot.requests)",
                "breaker_opened": "\(snapshot.breakerOpened)",
                "breaker_state": "\(snapshot.breakerState == 0 ? "closed" : "open")",
                "buffer_points": "\(points)",
                "buffer_bytes": "\(bytes)",
                "buffer_limit": "\(buffer.capacityBytes)",
            ]
        )
    }
}
