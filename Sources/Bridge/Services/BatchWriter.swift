// iotflow-bridge: the writer thread: batch, send, salvage, back off, settle.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import Logging
import Synchronization

/// The writer loop, confined to the writer thread.
///
/// **Batches.** A batch starts when `batch_size` points wait or `flush_interval` (plus up to
/// `flush_jitter`) has passed. It is copied from the front of the buffer and removed only when
/// every line is settled: stored, or refused for good and written to the dead-letter file.
///
/// **Reloads.** Reloaded `influxdb` settings are taken between requests and while waiting (checked
/// at least once a second): changed connection keys get a new transport and a fresh backoff and
/// breaker; `batch_size`, `max_batch_bytes`, `flush_interval` and `flush_jitter` shape the batches
/// from the next one on, and a shorter flush timing also cuts the current wait short.
///
/// **Requests.** `BatchDelivery` decides what each request carries: the whole batch, cut to the
/// size the server accepts (`RequestSizeLimit`, learned from 413s), halves of a range the server
/// rejected without naming lines, and nothing a v3 or 1.x partial write already stored. Once the
/// server first rejects lines of the batch, it settles within `delivery.max_settle_time` and a
/// bounded number of requests; what is unsettled then is dead-lettered with the last reason.
///
/// **Dead letters.** A refused line leaves the buffer only once its record is in the dead-letter
/// file. When the file cannot be written, the finished batch stays at the front of the buffer
/// (nothing after it is sent; intake pauses when the buffer fills) and the write is retried on
/// the `retry` schedule (`DeadLetterBacklog`): one error naming the path, then at most one a
/// minute, and a notice when it works again.
///
/// **Failures** (5xx, 429, 408, no reply, 401/403/404): the same request is retried after the
/// `RetryPolicy` delay, never sooner than `Retry-After`. `CircuitBreaker` opens after
/// `breaker.failures` consecutive failures: nothing is sent for the cool-down, then one probe of
/// at most 100 lines. Nothing is dropped for having failed: the batch stays buffered, and intake
/// pauses when the buffer is full.
///
/// **Stop.** The loop drains: it keeps going until the buffer is empty or `shutdown.drain` has
/// passed. What is left stays in the durable buffer for the next start; the memory buffer cannot
/// keep it, so there it is counted as dropped and logged.
final class BatchWriter {
    private let configuration: BridgeConfiguration
    /// The `influxdb` settings in use: the configuration's at start, then each reload's.
    private var influx: InfluxConfiguration
    private let buffer: any PointBufferOutlet
    private let counters: BridgeCounters
    private let logger: Logger
    private var transport: any InfluxTransport
    /// Where reloaded `influxdb` settings come from, the version in use, and how to build a
    /// transport from them (nil in tests that script the transport).
    private let reloads: (settings: InfluxSettings, makeTransport: WriterService.TransportFactory)?
    private var settingsVersion = 0
    private let deadLetters: DeadLetterFile

    private var retry: RetryPolicy
    private var breaker: CircuitBreaker
    private var sizeLimit: RequestSizeLimit
    private var consecutiveFailures = 0
    private var nextAttempt = ContinuousClock.now
    private var failureLog = FailureLog()
    private var backlog: DeadLetterBacklog
    /// Logs of refused lines (per-device junk): 10 a minute, then a count of what was suppressed.
    private var refusalLog = LogRateLimiter(burst: 10, window: .seconds(60))
    private var deadLetterFailureLog = LogRateLimiter(burst: 1, window: .seconds(60))
    /// Called when InfluxDB refuses lines for a field type conflict: the mapping's view of the
    /// schema is out of date. Runs on the writer thread.
    private let onTypeConflict: (() -> Void)?

    /// The batch being delivered, and what it takes of the buffer. `body` and `lineLengths` are
    /// where the buffer copies the next batch, kept to reuse their storage.
    private var sender: BatchSender?
    private var batch = (points: 0, bytes: 0)
    private var body: [UInt8] = []
    private var lineLengths: [Int] = []

    /// Lines a half-open breaker's probe carries at most.
    static let probeLines = 100

    init(
        configuration: BridgeConfiguration,
        buffer: any PointBufferOutlet,
        counters: BridgeCounters,
        transport: any InfluxTransport,
        deadLetters: DeadLetterFile,
        logger: Logger,
        reloads: (settings: InfluxSettings, makeTransport: WriterService.TransportFactory)? = nil,
        onTypeConflict: (() -> Void)? = nil
    ) {
        self.reloads = reloads
        self.onTypeConflict = onTypeConflict
        self.configuration = configuration
        influx = configuration.influxdb
        self.buffer = buffer
        self.counters = counters
        self.transport = transport
        self.deadLetters = deadLetters
        self.logger = logger
        retry = RetryPolicy(initial: configuration.retry.initial, maximum: configuration.retry.maximum)
        backlog = DeadLetterBacklog(policy: retry)
        breaker = CircuitBreaker(
            failureThreshold: configuration.breaker.failures,
            openFor: configuration.breaker.openFor,
            maximumOpenFor: configuration.breaker.maximumOpenFor
        )
        sizeLimit = RequestSizeLimit(ceiling: configuration.influxdb.maxBatchBytes)
    }

    /// How long the writer waits for points at most before it looks for reloaded settings.
    private static let reloadCheckInterval = Duration.seconds(1)

    /// Runs until `stop` is signalled, then drains.
    func run(until stop: WakeSignal) {
        var nextFlush = ContinuousClock.now + timedFlushDelay()
        while !stop.isSignalled {
            if sender == nil {
                if useReloadedSettings() { nextFlush = min(nextFlush, .now + timedFlushDelay()) }
                let wakeBy = reloads == nil ? nextFlush : min(nextFlush, .now + Self.reloadCheckInterval)
                let held = buffer.waitForPoints(atLeast: influx.batchSize, until: wakeBy)
                if stop.isSignalled { break }
                let now = ContinuousClock.now
                guard held > 0 else {
                    if now >= nextFlush { nextFlush = now + timedFlushDelay() }
                    continue
                }
                guard held >= influx.batchSize || now >= nextFlush else { continue }
                guard startBatch() else {
                    // Held, but not readable now (the durable buffer logged why): try again soon.
                    wait(until: now + .seconds(1), stop: stop)
                    continue
                }
            }
            if case .wait(let until) = step() {
                wait(until: until, stop: stop)
            }
            if sender?.isComplete == true {
                guard writeDeadLetters() else {
                    // The batch is held until its refused lines are in the dead-letter file.
                    if let retryAt = backlog.retryAt { wait(until: retryAt, stop: stop) }
                    continue
                }
                finishBatch()
                let (waiting, _) = buffer.occupancy
                nextFlush = waiting >= influx.batchSize ? .now : .now + timedFlushDelay()
            }
        }
        drain()
    }

    private enum Step {
        case sent
        case wait(until: ContinuousClock.Instant)
    }

    /// Sleeps until `until`, waking early for `stop` or reloaded settings (checked every second,
    /// so a fixed token is used at once rather than after a cool-down of up to 10 minutes).
    private func wait(until: ContinuousClock.Instant, stop: WakeSignal) {
        while !stop.isSignalled && ContinuousClock.now < until {
            if let reloads, reloads.settings.current.version != settingsVersion { return }
            stop.wait(for: min(.seconds(1), ContinuousClock.now.duration(to: until)))
        }
    }

    /// Switches to reloaded `influxdb` settings, if there are new ones, and returns whether the
    /// flush timing changed. Changed connection keys get a new transport and a fresh start for the
    /// backoff and the breaker, since the reason for failing (a wrong token, say) may be gone. The
    /// batching keys are read where each batch starts, so they apply from the next batch; a new
    /// `max_batch_bytes` also replaces the request size learned from 413s, whose ceiling it is.
    @discardableResult
    private func useReloadedSettings() -> Bool {
        guard let reloads else { return false }
        let (version, reloaded) = reloads.settings.current
        guard version != settingsVersion else { return false }
        settingsVersion = version
        if !Self.sameConnection(reloaded, influx) {
            do {
                transport = try reloads.makeTransport(reloaded)
            } catch {
                logger.error(
                    "Cannot use the reloaded influxdb settings; keeping the old ones.",
                    metadata: ["error": "\(error)"]
                )
                return false
            }
            consecutiveFailures = 0
            nextAttempt = .now
            breaker = CircuitBreaker(
                failureThreshold: configuration.breaker.failures,
                openFor: configuration.breaker.openFor,
                maximumOpenFor: configuration.breaker.maximumOpenFor
            )
            counters.breakerState.store(0, ordering: .relaxed)
            logger.notice("Writing with the reloaded influxdb settings.", metadata: ["influx.url": "\(reloaded.url)"])
        }
        let old = influx
        influx = reloaded
        let timingChanged = reloaded.flushInterval != old.flushInterval || reloaded.flushJitter != old.flushJitter
        let sizeChanged = reloaded.batchSize != old.batchSize || reloaded.maxBatchBytes != old.maxBatchBytes
        guard sizeChanged || timingChanged else { return false }
        if reloaded.maxBatchBytes != old.maxBatchBytes { sizeLimit = RequestSizeLimit(ceiling: reloaded.maxBatchBytes) }
        logger.notice(
            "Batching with the reloaded influxdb settings from the next batch.",
            metadata: [
                "influxdb.batch_size": "\(reloaded.batchSize)",
                "influxdb.max_batch_bytes": "\(reloaded.maxBatchBytes)",
                "influxdb.flush_interval": "\(ConfigDuration.format(reloaded.flushInterval))",
                "influxdb.flush_jitter": "\(ConfigDuration.format(reloaded.flushJitter))",
            ]
        )
        return timingChanged
    }

    /// Whether `a` and `b` differ at most in the batching keys (`batch_size`, `max_batch_bytes`,
    /// `flush_interval`, `flush_jitter`), so a transport made for one serves the other.
    private static func sameConnection(_ a: InfluxConfiguration, _ b: InfluxConfiguration) -> Bool {
        var batchedLikeA = b
        batchedLikeA.batchSize = a.batchSize
        batchedLikeA.maxBatchBytes = a.maxBatchBytes
        batchedLikeA.flushInterval = a.flushInterval
        batchedLikeA.flushJitter = a.flushJitter
        return batchedLikeA == a
    }

    /// Sends the next request of the current batch, or says how long to wait first.
    private func step() -> Step {
        useReloadedSettings()
        guard var current = sender, !current.isComplete else { return .sent }
        let now = ContinuousClock.now
        if now < nextAttempt { return .wait(until: nextAttempt) }
        var maxLines = Int.max
        switch breaker.decide(at: now) {
        case .send: break
        case .sendProbe: maxLines = Self.probeLines
        case .wait(let until): return .wait(until: until)
        }
        defer {
            holdDeadLetters(current.takeRefused(at: WallClock.nanoseconds()), requests: current.delivery.answeredCount)
            sender = current
        }
        // Nil here means the settle budget ran out and the unsettled lines were just refused.
        guard let range = current.nextRequest(maxLines: maxLines, maxBytes: sizeLimit.current, now: now) else {
            return .sent
        }
        let requestBytes = current.delivery.byteCount(of: range)
        BridgeCounters.add(1, to: counters.requests)
        let outcome = current.send(range, through: transport)
        if outcome.isFieldTypeConflict { onTypeConflict?() }
        switch outcome {
        case .accepted:
            sizeLimit.accepted(bytes: requestBytes)
            serverAnswered()
        case .partiallyAccepted, .partiallyWritten, .rejected:
            serverAnswered()
        case .tooLarge:
            sizeLimit.tooLarge(bytes: requestBytes)
            logger.notice(
                "InfluxDB refused a request as too large; sending smaller ones.",
                metadata: ["request.bytes": "\(requestBytes)", "request.limit": "\(sizeLimit.current)"]
            )
        case .configurationError(let status, let message):
            failed(status: "\(status)", message: message, retryAfter: nil, range: range)
        case .throttled(let status, let retryAfter, let message):
            failed(status: "\(status)", message: message, retryAfter: retryAfter, range: range)
        case .retryable(let status, let message):
            failed(status: status.map { "\($0)" } ?? "none", message: message, retryAfter: nil, range: range)
        }
        return .sent
    }

    /// Takes the next batch from the buffer; false when none could be read.
    private func startBatch() -> Bool {
        body.removeAll(keepingCapacity: true)
        lineLengths.removeAll(keepingCapacity: true)
        batch = buffer.peekBatch(
            maxPoints: influx.batchSize,
            maxBytes: influx.maxBatchBytes,
            into: &body,
            lineLengths: &lineLengths
        )
        guard batch.points > 0 else { return false }
        sender = BatchSender(body: body, lineLengths: lineLengths, maxSettleTime: configuration.delivery.maxSettleTime)
        return true
    }

    /// Removes the settled batch from the buffer; its dead letters are written.
    private func finishBatch() {
        guard let finished = sender?.delivery else { return }
        buffer.removeBatch(points: batch.points, bytes: batch.bytes)
        let rejected = finished.rejectedCount
        BridgeCounters.add(batch.points - rejected, to: counters.pointsWritten)
        BridgeCounters.add(rejected, to: counters.pointsRejected)
        sender = nil
    }

    /// The server answered for the data (stored or refused it): it is healthy.
    private func serverAnswered() {
        consecutiveFailures = 0
        nextAttempt = .now
        if case .closed = breaker.writeSucceeded() {
            counters.breakerState.store(0, ordering: .relaxed)
            logger.notice("Circuit breaker closed: InfluxDB accepts writes again.")
        } else if failureLog.isFailing {
            logger.notice("InfluxDB accepts writes again.")
        }
        failureLog.isFailing = false
    }

    private func failed(status: String, message: String, retryAfter: Duration?, range: Range<Int>) {
        BridgeCounters.add(1, to: counters.writeErrors)
        consecutiveFailures += 1
        let now = ContinuousClock.now
        let delay = retry.delay(afterFailures: consecutiveFailures, retryAfter: retryAfter, random: .random(in: 0...1))
        nextAttempt = now + delay
        switch breaker.writeFailed(at: now) {
        case .opened(let until, let failures):
            BridgeCounters.add(1, to: counters.breakerOpened)
            counters.breakerState.store(1, ordering: .relaxed)
            logger.warning(
                "Circuit breaker opened: no writes until the cool-down ends; the buffer absorbs.",
                metadata: [
                    "breaker.failures": "\(failures)",
                    "breaker.open_for": "\(ConfigDuration.format(now.duration(to: until)))",
                ]
            )
        case .reopened(let until):
            counters.breakerState.store(1, ordering: .relaxed)
            logger.warning(
                "Circuit breaker probe failed: open again.",
                metadata: ["breaker.open_for": "\(ConfigDuration.format(now.duration(to: until)))"]
            )
        case .closed, .none:
            break
        }
        let firstFailure = !failureLog.isFailing
        failureLog.isFailing = true
        let (admitted, suppressed) = failureLog.limiter.admit(at: now)
        guard firstFailure || admitted else { return }
        logger.error(
            "InfluxDB write failed; the data is kept and retried.",
            metadata: [
                "influx.status": "\(status)", "influx.message": "\(message.prefix(1024))",
                "request.points": "\(range.count)", "buffer.points": "\(buffer.occupancy.points)",
                "retry.delay": "\(ConfigDuration.format(delay))", "log.suppressed": "\(suppressed)",
            ]
        )
    }

    /// Holds the dead-letter records of newly refused lines and tries to write them.
    private func holdDeadLetters(_ refused: (lines: ArraySlice<RefusedLine>, records: [DeadLetter]), requests: Int) {
        guard !refused.lines.isEmpty else { return }
        backlog.add(refused.records)
        let unsettled = refused.lines.count { $0.kind == .unsettled }
        if unsettled > 0 {
            logger.warning(
                "A batch did not settle within its settle budget; its unsettled lines are dead-lettered with the server's last reason.",
                metadata: [
                    "points.unsettled": "\(unsettled)", "batch.requests": "\(requests)",
                    "delivery.max_settle_time": "\(ConfigDuration.format(configuration.delivery.maxSettleTime))",
                ]
            )
        }
        _ = writeDeadLetters()
    }

    /// Writes the waiting dead-letter records when due; true when none wait any more.
    private func writeDeadLetters() -> Bool {
        let now = ContinuousClock.now
        guard backlog.isDue(at: now) else { return backlog.isEmpty }
        let records = backlog.records
        let (written, failure) = deadLetters.appendReporting(records)
        let path = configuration.deadLetters.path
        switch backlog.wrote(written, at: now, random: .random(in: 0...1)) {
        case .failed(let first, let retryAt)?:
            let (admitted, suppressed) = deadLetterFailureLog.admit(at: now)
            if first || admitted {
                logger.error(
                    "Cannot write the dead-letter file; the refused lines stay buffered and the write is retried.",
                    metadata: [
                        "dead_letters.path": "\(path)", "error": "\(failure.map { "\($0)" } ?? "")",
                        "points.refused": "\(backlog.records.count)",
                        "retry.delay": "\(ConfigDuration.format(now.duration(to: retryAt)))",
                        "log.suppressed": "\(suppressed)",
                    ]
                )
            }
        case .recovered(let failures)?:
            logger.notice(
                "The dead-letter file takes writes again; the held lines are written.",
                metadata: ["dead_letters.path": "\(path)", "dead_letters.failures": "\(failures)"]
            )
        case nil:
            break
        }
        if failure == nil {
            let (admitted, suppressed) = refusalLog.admit(at: now)
            if admitted {
                logger.error(
                    "InfluxDB refused lines for good; they are in the dead-letter file.",
                    metadata: [
                        "points.refused": "\(records.count)",
                        "influx.status": "\(records.first?.status.map(String.init) ?? "?")",
                        "influx.message": "\(records.first?.reason.prefix(512) ?? "")",
                        "dead_letters.path": "\(path)", "log.suppressed": "\(suppressed)",
                    ]
                )
            }
        }
        return backlog.isEmpty
    }

    private func drain() {
        let deadline = ContinuousClock.now + configuration.shutdown.drain
        while ContinuousClock.now < deadline {
            if sender == nil {
                guard buffer.occupancy.points > 0, startBatch() else { break }
            }
            if case .wait(let until) = step() {
                guard until < deadline else { break }
                Thread.sleep(forTimeInterval: ContinuousClock.now.duration(to: until).seconds)
            }
            if sender?.isComplete == true {
                if writeDeadLetters() {
                    finishBatch()
                } else {
                    guard let retryAt = backlog.retryAt, retryAt < deadline else { break }
                    Thread.sleep(forTimeInterval: ContinuousClock.now.duration(to: retryAt).seconds)
                }
            }
        }
        if !backlog.isEmpty && !buffer.isDurable, let held = sender?.delivery {
            // The memory buffer cannot keep the held batch: its stored lines count as written, and
            // the refused ones, whose records the file never took, are logged here and dropped.
            logger.error(
                "Stopped before the dead-letter file took the refused lines; they are logged here and dropped.",
                metadata: [
                    "dead_letters.path": "\(configuration.deadLetters.path)",
                    "dead_letters.lines": "\(backlog.records.map(\.jsonLine).joined().prefix(4096))",
                ]
            )
            buffer.removeBatch(points: batch.points, bytes: batch.bytes)
            BridgeCounters.add(batch.points - held.rejectedCount, to: counters.pointsWritten)
            BridgeCounters.add(held.rejectedCount, to: counters.pointsDropped)
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

    private func timedFlushDelay() -> Duration {
        let jitter = influx.flushJitter
        guard jitter > .zero else { return influx.flushInterval }
        return influx.flushInterval + jitter * Double.random(in: 0...1)
    }
}

/// The failure-log limiter plus whether a failure streak is under way (its first failure is
/// always logged, and its end once).
private struct FailureLog {
    var limiter = LogRateLimiter(burst: 1, window: .seconds(60))
    var isFailing = false
}

@available(*, unavailable, message: "BatchWriter is confined to the writer thread")
extension BatchWriter: Sendable {}
