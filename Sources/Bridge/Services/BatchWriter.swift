// iotflow-bridge: the writer thread: batch, send, classify, remove or keep.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import Logging

/// The writer loop, confined to the writer thread.
///
/// A flush starts when `batch_size` points are waiting or when `flush_interval` (plus up to
/// `flush_jitter`) has passed since the last one. The batch is read from the front of the
/// buffer and removed only when InfluxDB answered for it: accepted (2xx) or rejected as bad
/// data (400/422, logged with the server's message). Any other outcome keeps the batch at the
/// front, and the next attempt waits for the next timed flush, so a failing server is tried
/// once per interval rather than hammered.
///
/// On stop the loop drains: it keeps writing until the buffer is empty or `shutdown.drain`
/// has passed; what is left is counted as dropped and logged (the memory buffer cannot keep it).
final class BatchWriter {
    private let configuration: InfluxConfiguration
    private let drain: Duration
    private let buffer: any PointBuffer
    private let counters: BridgeCounters
    private let logger: Logger
    private let transport: any InfluxTransport
    private var body: [UInt8] = []
    private var failing = false
    private var failureLog = LogRateLimiter(burst: 1, window: .seconds(60))

    init(
        configuration: InfluxConfiguration,
        drain: Duration,
        buffer: any PointBuffer,
        counters: BridgeCounters,
        transport: any InfluxTransport,
        logger: Logger
    ) {
        self.configuration = configuration
        self.drain = drain
        self.buffer = buffer
        self.counters = counters
        self.transport = transport
        self.logger = logger
    }

    /// Runs until `stop` is signalled, then drains.
    func run(until stop: WakeSignal) {
        var nextFlush = ContinuousClock.now + timedFlushDelay()
        while !stop.isSignalled {
            // While failing, only the timer triggers a flush: no early retry because a batch filled up.
            let held = buffer.waitForPoints(atLeast: failing ? .max : configuration.batchSize, until: nextFlush)
            if stop.isSignalled { break }
            let now = ContinuousClock.now
            guard held > 0 else {
                if now >= nextFlush { nextFlush = now + timedFlushDelay() }
                continue
            }
            guard held >= configuration.batchSize && !failing || now >= nextFlush else { continue }
            if flush() {
                let (waiting, _) = buffer.occupancy
                nextFlush = waiting >= configuration.batchSize ? now : ContinuousClock.now + timedFlushDelay()
            } else {
                nextFlush = ContinuousClock.now + configuration.flushInterval
            }
        }
        drainBuffer()
    }

    /// Writes one batch; returns whether it left the buffer (accepted or rejected).
    private func flush() -> Bool {
        body.removeAll(keepingCapacity: true)
        let (points, bytes) = buffer.peekBatch(
            maxPoints: configuration.batchSize,
            maxBytes: configuration.maxBatchBytes,
            into: &body
        )
        guard points > 0 else { return true }
        let attempt = transport.write(body)
        switch attempt.outcome {
        case .accepted:
            buffer.removeBatch(points: points, bytes: bytes)
            BridgeCounters.add(points, to: counters.pointsWritten)
            BridgeCounters.add(1, to: counters.batchesWritten)
            if failing {
                failing = false
                logger.notice("InfluxDB accepts writes again.")
            }
            return true
        case .rejected(let status):
            // Sending the same bytes again would get the same answer (REFERENCE.md §B.5).
            buffer.removeBatch(points: points, bytes: bytes)
            BridgeCounters.add(points, to: counters.pointsRejected)
            logger.error(
                "InfluxDB rejected a batch as bad data; it is not retried.",
                metadata: [
                    "influx.status": "\(status)", "batch.size": "\(points)",
                    "influx.message": "\(attempt.message.prefix(1024))",
                ]
            )
            return true
        case .configurationError(let status), .retryable(status: .some(let status)):
            recordFailure(status: "\(status)", message: attempt.message, points: points)
            return false
        case .retryable(status: nil):
            recordFailure(status: "none", message: attempt.message, points: points)
            return false
        }
    }

    private func recordFailure(status: String, message: String, points: Int) {
        BridgeCounters.add(1, to: counters.writeErrors)
        let firstFailure = !failing
        failing = true
        let (admitted, suppressed) = failureLog.admit(at: .now)
        guard firstFailure || admitted else { return }
        let (held, _) = buffer.occupancy
        logger.error(
            "InfluxDB write failed; the batch is kept and retried.",
            metadata: [
                "influx.status": "\(status)", "influx.message": "\(message.prefix(1024))", "batch.size": "\(points)",
                "buffer.points": "\(held)", "retry.delay": "\(ConfigDuration.format(configuration.flushInterval))",
                "log.suppressed": "\(suppressed)",
            ]
        )
    }

    private func drainBuffer() {
        let deadline = ContinuousClock.now + drain
        while buffer.occupancy.points > 0 && ContinuousClock.now < deadline {
            if !flush() {
                // A failing server during shutdown: retry every second until the deadline.
                let pause = min(.seconds(1), ContinuousClock.now.duration(to: deadline))
                if pause > .zero { Thread.sleep(forTimeInterval: pause.seconds) }
            }
        }
        let (left, _) = buffer.occupancy
        if left > 0 {
            BridgeCounters.add(left, to: counters.pointsDropped)
            logger.error(
                "Stopped before InfluxDB accepted every point; the rest are dropped.",
                metadata: ["points.dropped": "\(left)", "shutdown.drain": "\(ConfigDuration.format(drain))"]
            )
        }
    }

    private func timedFlushDelay() -> Duration {
        let jitter = configuration.flushJitter
        guard jitter > .zero else { return configuration.flushInterval }
        return configuration.flushInterval + jitter * Double.random(in: 0...1)
    }
}

@available(*, unavailable, message: "BatchWriter is confined to the writer thread")
extension BatchWriter: Sendable {}
