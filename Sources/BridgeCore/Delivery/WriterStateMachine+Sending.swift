// iotflow-bridge: the writer state machine's answers to a request's reply and to a dead-letter write.
// SPDX-License-Identifier: Apache-2.0

extension WriterStateMachine {
    /// A request of the batch was performed: account for the reply, hold the records of the lines
    /// it rejected, and settle the batch when it is complete.
    mutating func requestDone(_ report: RequestReport, at now: ContinuousClock.Instant, random: Double) -> [Effect] {
        var effects: [Effect] = []
        if let outcome = report.outcome {
            effects += received(outcome, report: report, at: now, random: random)
        }
        if !report.rejected.isEmpty {
            backlog.add(report.rejected)
            if report.unsettled > 0 {
                effects.append(.log(.batchUnsettled(points: report.unsettled, requests: report.answeredRequests)))
            }
        }
        if report.batchComplete {
            phase = .holding
            effects += removeBatchIfSettled(at: now, random: random)
        }
        return effects
    }

    /// The dead-letter file took the first `count` of the waiting records at `now`.
    mutating func deadLettersWritten(
        _ count: Int,
        error: String?,
        at now: ContinuousClock.Instant,
        random: Double
    ) -> [Effect] {
        let records = backlog.records
        var effects: [Effect] = []
        switch backlog.wrote(count, at: now, random: random) {
        case .failed(let first, let retryAt)?:
            let (admitted, suppressed) = deadLetterFailureLog.admit(at: now)
            if first || admitted {
                let delay = now.duration(to: retryAt)
                let failure = LogEvent.deadLetterWriteFailed(
                    error: error ?? "",
                    held: backlog.records.count,
                    retryDelay: delay,
                    suppressed: suppressed
                )
                effects.append(.log(failure))
            }
        case .recovered(let failures)?:
            effects.append(.log(.deadLettersRecovered(failures: failures)))
        case nil:
            break
        }
        if error == nil {
            let (admitted, suppressed) = rejectionLog.admit(at: now)
            if admitted, let first = records.first {
                let message = String(first.reason.prefix(512))
                effects.append(
                    .log(
                        .linesRejected(
                            points: records.count,
                            status: first.status,
                            message: message,
                            suppressed: suppressed
                        )
                    )
                )
            }
        }
        return effects + removeBatchIfSettled(at: now, random: random)
    }

    /// The reply to a request: success resets the backoff and closes the breaker, a 413 lowers
    /// the request size, and a failure backs off and may open the breaker.
    private mutating func received(
        _ outcome: WriteOutcome,
        report: RequestReport,
        at now: ContinuousClock.Instant,
        random: Double
    ) -> [Effect] {
        let effects: [Effect] = outcome.isFieldTypeConflict ? [.reportTypeConflict] : []
        switch outcome {
        case .accepted:
            sizeLimit.accepted(bytes: report.bytes)
            return effects + serverAnswered()
        case .partiallyAccepted, .partiallyWritten, .rejected:
            return effects + serverAnswered()
        case .tooLarge:
            sizeLimit.tooLarge(bytes: report.bytes)
            return effects + [.log(.requestTooLarge(bytes: report.bytes, limit: sizeLimit.current))]
        case .configurationError(let status, let message):
            return effects + failed(Failure("\(status)", message, nil, report.lines), at: now, random: random)
        case .throttled(let status, let retryAfter, let message):
            return effects + failed(Failure("\(status)", message, retryAfter, report.lines), at: now, random: random)
        case .retryable(let status, let message):
            let code = status.map { "\($0)" } ?? "none"
            return effects + failed(Failure(code, message, nil, report.lines), at: now, random: random)
        }
    }

    /// The server answered for the data (stored or rejected it): it is healthy.
    private mutating func serverAnswered() -> [Effect] {
        nextAttempt = nil
        defer { failing = false }
        if case .closed = breaker.writeSucceeded() { return [.log(.breakerClosed)] }
        return failing ? [.log(.writesRecovered)] : []
    }

    /// A failed request, as the log reports it.
    private struct Failure {
        var status: String
        var message: String
        var retryAfter: Duration?
        var lines: Int

        init(_ status: String, _ message: String, _ retryAfter: Duration?, _ lines: Int) {
            self.status = status
            self.message = message
            self.retryAfter = retryAfter
            self.lines = lines
        }
    }

    /// The request failed at `now`: the breaker counts it (the one failure count), and the next
    /// attempt waits the `RetryPolicy` delay for that many consecutive failures.
    private mutating func failed(_ failure: Failure, at now: ContinuousClock.Instant, random: Double) -> [Effect] {
        var effects: [Effect] = [.countWriteError]
        switch breaker.writeFailed(at: now) {
        case .opened(let until, let failures):
            effects += [
                .countBreakerOpened, .log(.breakerOpened(failures: failures, openFor: now.duration(to: until))),
            ]
        case .reopened(let until):
            effects.append(.log(.breakerReopened(openFor: now.duration(to: until))))
        case .closed, .none:
            break
        }
        let delay = retry.delay(
            afterFailures: breaker.consecutiveFailures,
            retryAfter: failure.retryAfter,
            random: random
        )
        nextAttempt = now + delay
        let firstFailure = !failing
        failing = true
        let (admitted, suppressed) = failureLog.admit(at: now)
        guard firstFailure || admitted else { return effects }
        let message = String(failure.message.prefix(1024))
        effects.append(
            .log(
                .writeFailed(
                    status: failure.status,
                    message: message,
                    requestPoints: failure.lines,
                    retryDelay: delay,
                    suppressed: suppressed
                )
            )
        )
        return effects
    }
}
