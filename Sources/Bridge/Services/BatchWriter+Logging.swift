// iotflow-bridge: the writer's log lines, and what a drain leaves behind.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Logging

extension BatchWriter {
    /// Logs what the state machine reports, with the texts and metadata operators search for.
    func log(_ event: WriterStateMachine.LogEvent) {
        switch event {
        case .writeFailed(let status, let message, let requestPoints, let retryDelay, let suppressed):
            logger.error(
                "InfluxDB write failed; the data is kept and retried.",
                metadata: [
                    "http.status": "\(status)", "influx.message": "\(message)",
                    "request.points": "\(requestPoints)", "buffer.points": "\(buffer.occupancy.points)",
                    "retry.delay": "\(ConfigDuration.format(retryDelay))", "log.suppressed": "\(suppressed)",
                ]
            )
        case .writesRecovered:
            logger.notice("InfluxDB accepts writes again.")
        case .breakerOpened(let failures, let openFor):
            logger.warning(
                "Circuit breaker opened: no writes until the cool-down ends; the buffer absorbs.",
                metadata: ["breaker.failures": "\(failures)", "breaker.open_for": "\(ConfigDuration.format(openFor))"]
            )
        case .breakerReopened(let openFor):
            logger.warning(
                "Circuit breaker probe failed: open again.",
                metadata: ["breaker.open_for": "\(ConfigDuration.format(openFor))"]
            )
        case .breakerClosed:
            logger.notice("Circuit breaker closed: InfluxDB accepts writes again.")
        case .requestTooLarge(let bytes, let limit):
            logger.notice(
                "InfluxDB rejected a request as too large; sending smaller ones.",
                metadata: ["request.bytes": "\(bytes)", "request.limit": "\(limit)"]
            )
        case .reloadedConnection(let url):
            logger.notice("Writing with the reloaded influxdb settings.", metadata: ["influx.url": "\(url)"])
        case .reloadedBatching(let reloaded):
            logger.notice(
                "Batching with the reloaded influxdb settings from the next batch.",
                metadata: [
                    "influxdb.batch_size": "\(reloaded.batchSize)",
                    "influxdb.max_batch_bytes": "\(reloaded.maxBatchBytes)",
                    "influxdb.flush_interval": "\(ConfigDuration.format(reloaded.flushInterval))",
                    "influxdb.flush_jitter": "\(ConfigDuration.format(reloaded.flushJitter))",
                ]
            )
        case .batchUnsettled, .deadLetterWriteFailed, .deadLettersRecovered, .linesRejected:
            logDeadLetters(event)
        }
    }

    /// The log lines about rejected lines and the dead-letter file.
    private func logDeadLetters(_ event: WriterStateMachine.LogEvent) {
        let path = configuration.deadLetters.path
        switch event {
        case .batchUnsettled(let points, let requests):
            logger.warning(
                "A batch did not settle within its settle budget; its unsettled lines are dead-lettered with the server's last reason.",
                metadata: [
                    "points.unsettled": "\(points)", "batch.requests": "\(requests)",
                    "delivery.max_settle_time": "\(ConfigDuration.format(configuration.delivery.maxSettleTime))",
                ]
            )
        case .deadLetterWriteFailed(let error, let held, let retryDelay, let suppressed):
            logger.error(
                "Cannot write the dead-letter file; the rejected lines stay buffered and the write is retried.",
                metadata: [
                    "dead_letters.path": "\(path)", "error": "\(error)", "points.rejected": "\(held)",
                    "retry.delay": "\(ConfigDuration.format(retryDelay))", "log.suppressed": "\(suppressed)",
                ]
            )
        case .deadLettersRecovered(let failures):
            logger.notice(
                "The dead-letter file takes writes again; the held lines are written.",
                metadata: ["dead_letters.path": "\(path)", "dead_letters.failures": "\(failures)"]
            )
        case .linesRejected(let points, let status, let message, let suppressed):
            logger.error(
                "InfluxDB rejected lines for good; they are in the dead-letter file.",
                metadata: [
                    "points.rejected": "\(points)", "http.status": "\(status.map(String.init) ?? "?")",
                    "influx.message": "\(message)", "dead_letters.path": "\(path)", "log.suppressed": "\(suppressed)",
                ]
            )
        default:
            preconditionFailure("not a dead-letter log event: \(event)")
        }
    }

    /// Ends the drain: the memory buffer cannot keep a batch held for its dead letters, and what
    /// is left is kept by the durable buffer or counted as dropped.
    func finishDrain(held: WriterStateMachine.BatchExtent?, deadLetters: [DeadLetter]) {
        if !deadLetters.isEmpty && !buffer.isDurable, let held, let delivery = sender?.delivery {
            // The memory buffer cannot keep the held batch: its stored lines count as written; the
            // rejected ones, whose records the file never took, are logged here and dropped, and so
            // are the lines the drain ended before InfluxDB answered for.
            logger.error(
                "Stopped before the dead-letter file took the rejected lines; they are logged here and dropped.",
                metadata: [
                    "dead_letters.path": "\(configuration.deadLetters.path)",
                    "dead_letters.lines": "\(deadLetters.map(\.jsonLine).joined().prefix(4096))",
                ]
            )
            buffer.removeBatch(points: held.points, bytes: held.bytes)
            let unsent = delivery.unsettled.reduce(0) { $0 + $1.count }
            BridgeCounters.add(held.points - delivery.rejectedCount - unsent, to: counters.pointsWritten)
            BridgeCounters.add(delivery.rejectedCount + unsent, to: counters.pointsDropped)
            sender = nil
        }
        let (left, _) = buffer.occupancy
        if left > 0 && buffer.isDurable {
            logger.notice(
                "Stopped before InfluxDB took every point; the rest stay in the durable buffer and go first at the next start.",
                metadata: ["buffer.points": "\(left)"]
            )
        } else if left > 0 {
            BridgeCounters.add(left, to: counters.pointsDropped)
            logger.error(
                "Stopped before InfluxDB accepted every point; the rest are dropped.",
                metadata: [
                    "points.dropped": "\(left)",
                    "shutdown.drain": "\(ConfigDuration.format(configuration.shutdown.drain))",
                ]
            )
        }
    }
}
