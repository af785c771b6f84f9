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
/// every line is settled: stored, or rejected for good and written to the dead-letter file.
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
/// **Dead letters.** A rejected line leaves the buffer only once its record is in the dead-letter
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
///
/// **Shape.** Every decision above is `WriterStateMachine`'s, a value in BridgeCore. This class
/// is the writer thread's side: one loop, for running and draining alike, that performs the
/// machine's commands (wait, peek, send, write dead letters) and effects (log, count, remove the
/// batch) and reports back what happened.
final class BatchWriter {
    let configuration: BridgeConfiguration
    let buffer: any PointBufferOutlet
    let counters: BridgeCounters
    let logger: Logger
    private var transport: any InfluxTransport
    /// Where reloaded `influxdb` settings come from, the version in use, and how to build a
    /// transport from them (nil in tests that script the transport).
    private let reloads: (settings: InfluxSettings, makeTransport: WriterService.TransportFactory)?
    private var settingsVersion = 0
    private let deadLetters: DeadLetterFile
    /// Called when InfluxDB rejects lines for a field type conflict: the mapping's view of the
    /// schema is out of date. Runs on the writer thread.
    private let onTypeConflict: (() -> Void)?

    /// Every decision: when to flush, send, back off, hold dead letters and stop draining.
    var machine: WriterStateMachine
    /// The batch being delivered. `body` and `lineLengths` are where the buffer copies the next
    /// batch, kept to reuse their storage.
    var sender: BatchSender?
    private var body: [UInt8] = []
    private var lineLengths: [Int] = []

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
        self.buffer = buffer
        self.counters = counters
        self.transport = transport
        self.deadLetters = deadLetters
        self.logger = logger
        machine = WriterStateMachine(configuration: configuration, now: .now, random: .random(in: 0...1))
    }

    /// How long the writer waits for points at most before it looks for reloaded settings.
    private static let reloadCheckInterval = Duration.seconds(1)

    /// Runs until `stop` is signalled, then drains until the buffer is empty or `shutdown.drain`
    /// has passed.
    func run(until stop: WakeSignal) {
        while true {
            counters.writerHeartbeat.beat()
            if let reloaded = reloadedSettings() {
                perform(machine.handle(reloaded, at: .now, random: .random(in: 0...1)))
            }
            if stop.isSignalled { perform(machine.handle(.stopRequested, at: .now, random: 0)) }
            guard let event = perform(machine.nextCommand(at: .now), stop: stop) else { return }
            perform(machine.handle(event, at: .now, random: .random(in: 0...1)))
        }
    }

    /// Does `command` and returns what happened; nil when the drain is over.
    private func perform(_ command: WriterStateMachine.Command, stop: WakeSignal) -> WriterStateMachine.Event? {
        switch command {
        case .waitForPoints(let count, let until):
            let wakeBy = reloads == nil ? until : min(until, .now + Self.reloadCheckInterval)
            return .pointsWaited(held: buffer.waitForPoints(atLeast: count, until: wakeBy))
        case .peekBatch(let maxPoints, let maxBytes):
            return peekBatch(maxPoints: maxPoints, maxBytes: maxBytes)
        case .sendRequest(let maxLines, let maxBytes):
            return sendRequest(maxLines: maxLines, maxBytes: maxBytes)
        case .writeDeadLetters(let records):
            let (written, failure) = deadLetters.appendReporting(records)
            return .deadLettersWritten(count: written, error: failure.map { "\($0)" })
        case .wait(let until, let wakeEarly):
            wait(until: until, wakeEarly: wakeEarly, stop: stop)
            return .waited
        case .finish(let held, let records):
            finishDrain(held: held, deadLetters: records)
            return nil
        }
    }

    /// Does the machine's effects, then shows its breaker on the `breaker_state` gauge (the one
    /// place the gauge is set).
    private func perform(_ effects: [WriterStateMachine.Effect]) {
        for effect in effects {
            switch effect {
            case .log(let event): log(event)
            case .countWriteError: BridgeCounters.add(1, to: counters.writeErrors)
            case .countBreakerOpened: BridgeCounters.add(1, to: counters.breakerOpened)
            case .reportTypeConflict: onTypeConflict?()
            case .removeBatch(let batch): removeBatch(points: batch.points, bytes: batch.bytes)
            }
        }
        counters.breakerState.store(machine.breakerIsOpen ? 1 : 0, ordering: .relaxed)
    }

    /// Sleeps until `until`; with `wakeEarly`, wakes for `stop` or reloaded settings (checked
    /// every second, so a fixed token is used at once rather than after a cool-down of up to 10
    /// minutes). Without, nothing wakes it: the writer is draining and `stop` stays signalled.
    private func wait(until: ContinuousClock.Instant, wakeEarly: Bool, stop: WakeSignal) {
        counters.writerHeartbeat.beat(flag: true, until: until)
        guard wakeEarly else {
            Thread.sleep(forTimeInterval: max(0, ContinuousClock.now.duration(to: until).seconds))
            return
        }
        while !stop.isSignalled && ContinuousClock.now < until {
            if let reloads, reloads.settings.current.version != settingsVersion { return }
            stop.wait(for: min(.seconds(1), ContinuousClock.now.duration(to: until)))
        }
    }

    /// The reloaded `influxdb` settings as an event, if there are new ones. Changed connection
    /// keys get a new transport first; when it cannot be made, the old settings stay.
    private func reloadedSettings() -> WriterStateMachine.Event? {
        guard let reloads else { return nil }
        let (version, reloaded) = reloads.settings.current
        guard version != settingsVersion else { return nil }
        settingsVersion = version
        let connectionChanged = !WriterStateMachine.sameConnection(reloaded, machine.influx)
        if connectionChanged {
            do {
                transport = try reloads.makeTransport(reloaded)
            } catch {
                logger.error(
                    "Cannot use the reloaded influxdb settings; keeping the old ones.",
                    metadata: ["error": "\(error)"]
                )
                return nil
            }
        }
        return .settingsReloaded(reloaded, connectionChanged: connectionChanged)
    }

    /// Copies the next batch from the buffer into a new sender.
    private func peekBatch(maxPoints: Int, maxBytes: Int) -> WriterStateMachine.Event {
        body.removeAll(keepingCapacity: true)
        lineLengths.removeAll(keepingCapacity: true)
        let batch = buffer.peekBatch(
            maxPoints: maxPoints,
            maxBytes: maxBytes,
            into: &body,
            lineLengths: &lineLengths
        )
        if batch.points > 0 {
            sender = BatchSender(
                body: body,
                lineLengths: lineLengths,
                maxSettleTime: configuration.delivery.maxSettleTime
            )
        }
        return .batchPeeked(points: batch.points, bytes: batch.bytes)
    }

    /// Sends the batch's next request, and takes the records of the lines it rejected.
    private func sendRequest(maxLines: Int, maxBytes: Int) -> WriterStateMachine.Event {
        guard var current = sender else { preconditionFailure("the machine sends only with a batch out") }
        defer { sender = current }
        // Nil here means the settle budget ran out and the unsettled lines were just rejected.
        let range = current.nextRequest(maxLines: maxLines, maxBytes: maxBytes, now: .now)
        var outcome: WriteOutcome?
        if let range {
            BridgeCounters.add(1, to: counters.requests)
            let started = ContinuousClock.now
            let reply = current.send(range, through: transport)
            let finished = ContinuousClock.now
            counters.metrics.recordRequest(duration: finished - started)
            counters.status.requestFinished(reply, at: finished)
            outcome = reply
        }
        let rejected = current.takeRejected(at: WallClock.nanoseconds())
        let report = WriterStateMachine.RequestReport(
            outcome: outcome,
            lines: range?.count ?? 0,
            bytes: range.map { current.delivery.byteCount(of: $0) } ?? 0,
            rejected: rejected.records,
            unsettled: rejected.lines.count { $0.kind == .unsettled },
            answeredRequests: current.delivery.answeredCount,
            batchComplete: current.isComplete
        )
        return .requestDone(report)
    }

    /// Removes the settled batch from the buffer; its dead letters are written.
    private func removeBatch(points: Int, bytes: Int) {
        guard let finished = sender?.delivery else { return }
        buffer.removeBatch(points: points, bytes: bytes)
        let rejected = finished.rejectedCount
        BridgeCounters.add(points - rejected, to: counters.pointsWritten)
        BridgeCounters.add(rejected, to: counters.pointsRejected)
        sender = nil
    }
}

@available(*, unavailable, message: "BatchWriter is confined to the writer thread")
extension BatchWriter: Sendable {}
