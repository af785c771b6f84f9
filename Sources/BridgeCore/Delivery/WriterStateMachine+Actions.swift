// iotflow-bridge: what the writer thread tells its state machine, and what the machine asks of it.
// SPDX-License-Identifier: Apache-2.0

extension WriterStateMachine {
    /// What the writer thread saw, reported through ``WriterStateMachine/handle(_:at:random:)``.
    public enum Event: Equatable, Sendable {
        /// The daemon is stopping: drain until the buffer is empty or `shutdown.drain` has passed.
        case stopRequested
        /// New `influxdb` settings are in use; `connectionChanged` when a key other than the
        /// batching keys changed, so a new transport now serves them.
        case settingsReloaded(InfluxConfiguration, connectionChanged: Bool)
        /// A ``Command/waitForPoints(atLeast:until:)`` ended with `held` points in the buffer.
        case pointsWaited(held: Int)
        /// A ``Command/peekBatch(maxPoints:maxBytes:)`` copied a batch of this size (0 points:
        /// nothing could be read).
        case batchPeeked(points: Int, bytes: Int)
        /// A ``Command/sendRequest(maxLines:maxBytes:)`` was performed.
        case requestDone(RequestReport)
        /// A ``Command/writeDeadLetters(_:)`` wrote the first `count` records; `error` says why
        /// the rest were not written.
        case deadLettersWritten(count: Int, error: String?)
        /// A ``Command/wait(until:wakeEarly:)`` ended (its time came, or it woke early).
        case waited
    }

    /// What one request of the batch did.
    public struct RequestReport: Equatable, Sendable {
        /// The classified reply; nil when nothing was sent because the settle budget ran out.
        public var outcome: WriteOutcome?
        /// Lines the request carried.
        public var lines: Int
        /// Bytes the request carried (uncompressed).
        public var bytes: Int
        /// Dead-letter records of the lines the batch rejected with this request.
        public var rejected: [DeadLetter]
        /// How many of them were dead-lettered unsettled (the settle budget ran out).
        public var unsettled: Int
        /// Requests of the batch the server answered for the data so far.
        public var answeredRequests: Int
        /// Whether every line of the batch is now stored or dead-lettered.
        public var batchComplete: Bool

        /// A report; see the properties.
        public init(
            outcome: WriteOutcome?,
            lines: Int,
            bytes: Int,
            rejected: [DeadLetter] = [],
            unsettled: Int = 0,
            answeredRequests: Int,
            batchComplete: Bool
        ) {
            self.outcome = outcome
            self.lines = lines
            self.bytes = bytes
            self.rejected = rejected
            self.unsettled = unsettled
            self.answeredRequests = answeredRequests
            self.batchComplete = batchComplete
        }
    }

    /// The points and bytes a batch takes of the buffer.
    public struct BatchExtent: Equatable, Sendable {
        /// Points in the batch, 1 or more.
        public var points: Int
        /// Bytes of the batch in the buffer.
        public var bytes: Int

        /// A batch of `points` points and `bytes` bytes.
        public init(points: Int, bytes: Int) {
            self.points = points
            self.bytes = bytes
        }
    }

    /// The one blocking thing the writer thread does next; each but `finish` ends in an ``Event``.
    public enum Command: Equatable, Sendable {
        /// Wait until `atLeast` points are held or `until` has passed (waking at least once a
        /// second for reloaded settings), then report ``Event/pointsWaited(held:)``.
        case waitForPoints(atLeast: Int, until: ContinuousClock.Instant)
        /// Copy the next batch from the front of the buffer, then report ``Event/batchPeeked(points:bytes:)``.
        case peekBatch(maxPoints: Int, maxBytes: Int)
        /// Send the batch's next request, cut to `maxLines` lines and `maxBytes` bytes, then
        /// report ``Event/requestDone(_:)``.
        case sendRequest(maxLines: Int, maxBytes: Int)
        /// Append these records to the dead-letter file, then report ``Event/deadLettersWritten(count:error:)``.
        case writeDeadLetters([DeadLetter])
        /// Wait until `until`, then report ``Event/waited``. With `wakeEarly` a stop or reloaded
        /// settings end it sooner; without (draining), nothing does.
        case wait(until: ContinuousClock.Instant, wakeEarly: Bool)
        /// The drain is over: `held` is the batch still at the front of the buffer, if any, and
        /// `deadLetters` the records the dead-letter file has not taken.
        case finish(held: BatchExtent?, deadLetters: [DeadLetter])
    }

    /// What the writer thread does at once after an event.
    public enum Effect: Equatable, Sendable {
        /// Log this, once.
        case log(LogEvent)
        /// Count a failed write (`write_errors`).
        case countWriteError
        /// Count the breaker opening (`breaker_opened`).
        case countBreakerOpened
        /// InfluxDB rejected a field type conflict: ask it for its field types again.
        case reportTypeConflict
        /// Every line of the batch is stored or dead-lettered: remove it from the buffer.
        case removeBatch(BatchExtent)
    }

    /// The log lines the writer emits; the texts are the writer thread's.
    public enum LogEvent: Equatable, Sendable {
        /// A write failed (the first of a streak, then at most one a minute).
        case writeFailed(status: String, message: String, requestPoints: Int, retryDelay: Duration, suppressed: Int)
        /// Writes work again after a failure streak that did not open the breaker.
        case writesRecovered
        /// The breaker opened after `failures` consecutive failures, for `openFor`.
        case breakerOpened(failures: Int, openFor: Duration)
        /// The probe failed; open again for `openFor`.
        case breakerReopened(openFor: Duration)
        /// A write went through after the breaker had opened.
        case breakerClosed
        /// A 413 for a request of `bytes` bytes; requests are now at most `limit` bytes.
        case requestTooLarge(bytes: Int, limit: Int)
        /// The settle budget ran out: `points` lines dead-lettered unsettled after `requests` requests.
        case batchUnsettled(points: Int, requests: Int)
        /// The dead-letter file failed; `held` records wait, the next try is after `retryDelay`.
        case deadLetterWriteFailed(error: String, held: Int, retryDelay: Duration, suppressed: Int)
        /// The dead-letter file takes writes again after `failures` failed tries.
        case deadLettersRecovered(failures: Int)
        /// `points` rejected lines are in the dead-letter file; the first one's status and reason.
        case linesRejected(points: Int, status: Int?, message: String, suppressed: Int)
        /// Reloaded connection keys are in use, writing to `url`.
        case reloadedConnection(url: String)
        /// Reloaded batching keys shape the batches from the next one on.
        case reloadedBatching(InfluxConfiguration)
    }
}
