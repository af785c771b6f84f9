// iotflow-bridge: the intake loop's steps, one per kind of outcome.
// SPDX-License-Identifier: Apache-2.0

extension IntakeStateMachine {
    /// What the machine waits to hear about, where one event can answer more than one action.
    enum Awaiting: Equatable, Sendable {
        /// The start of a pass (no ambiguous action outstanding).
        case pass
        case roomToConnect
        case roomToPoll
        case roomToRead(Burst)
        case read(Burst)
        case commit(CommitKind)
        /// The loop has exited.
        case ended
    }

    /// Why a commit was asked for.
    enum CommitKind: Equatable, Sendable {
        /// The commit of a pass, before writing its PUBACKs.
        case ofPass
        /// The retry of a failed commit.
        case retry
        /// The last commit, before a graceful disconnect.
        case final
    }

    /// A read burst: reads so far, and when it must end.
    struct Burst: Equatable, Sendable {
        var reads: Int
        var ends: ContinuousClock.Instant
    }

    /// The start of a pass: end, retry a failed commit, connect, or poll.
    mutating func nextPass() -> Step {
        if abandoning {
            awaiting = .ended
            return Step(.exit(disconnectingGracefully: false))
        }
        if stopping { return commit(.final) }
        if isCommitFailing { return commit(.retry) }
        awaiting = connection == .connected ? .roomToPoll : .roomToConnect
        return Step(.checkRoom)
    }

    mutating func roomChecked(_ hasRoom: Bool, at now: ContinuousClock.Instant) -> Step {
        switch awaiting {
        case .roomToRead(let burst):
            return hasRoom ? read(burst, starting: false) : commit(.ofPass)
        case .roomToPoll:
            let transitions = setPaused(!hasRoom)
            let timeout = isPaused ? Self.pausedRecheck : Self.pollTimeout
            awaiting = .pass
            return Step(transitions, .poll(forReading: !isPaused, timeout: timeout))
        case .roomToConnect:
            // Connecting while the buffer is full would only read messages there is no room
            // for; the broker keeps queueing in the persistent session meanwhile.
            let transitions = setPaused(!hasRoom)
            awaiting = .pass
            if isPaused { return Step(transitions, .wait(until: now + Self.pausedRecheck)) }
            if case .disconnected(let nextConnect?) = connection, now < nextConnect {
                return Step(transitions, .wait(until: nextConnect))
            }
            connection = .connecting
            return Step(transitions, .connect)
        case .pass, .read, .commit, .ended:
            preconditionFailure("a room check ended that was not asked for")
        }
    }

    mutating func connectFailed(_ error: String, at now: ContinuousClock.Instant) -> Step {
        connectFailures += 1
        let delay = backoff
        connection = .disconnected(nextConnect: now + delay)
        backoff = min(backoff * 2, reconnectMax)
        // Log the first failure and then every tenth, so a long broker outage stays readable.
        guard connectFailures == 1 || connectFailures % 10 == 0 else { return nextPass() }
        let transition = Transition.connectFailed(error: error, retryDelay: delay, attempts: connectFailures)
        return nextPass().logging(first: [transition])
    }

    mutating func read(_ burst: Burst, starting: Bool) -> Step {
        awaiting = .read(burst)
        return Step(.read(startingBurst: starting))
    }

    mutating func readEnded(moreWaiting: Bool, at now: ContinuousClock.Instant) -> Step {
        guard case .read(var burst) = awaiting else { preconditionFailure("a read ended that was not asked for") }
        burst.reads += 1
        if abandoning { return nextPass() }
        guard burst.reads < Self.maxReadsPerBurst && moreWaiting && now < burst.ends else { return commit(.ofPass) }
        awaiting = .roomToRead(burst)
        return Step(.checkRoom)
    }

    mutating func commit(_ kind: CommitKind) -> Step {
        awaiting = .commit(kind)
        return Step(.commit)
    }

    mutating func commitSucceeded() -> Step {
        guard case .commit(let kind) = awaiting else { preconditionFailure("a commit ended that was not asked for") }
        let transitions: [Transition] = isCommitFailing ? [.commitResumed] : []
        isCommitFailing = false
        switch kind {
        case .ofPass:
            awaiting = .pass
            return Step(transitions, .write)
        case .retry:
            return nextPass().logging(first: transitions)
        case .final:
            awaiting = .ended
            return Step(transitions, .exit(disconnectingGracefully: connection == .connected))
        }
    }

    mutating func commitFailed(_ error: String, at now: ContinuousClock.Instant) -> Step {
        guard case .commit(let kind) = awaiting else { preconditionFailure("a commit ended that was not asked for") }
        let (admitted, suppressed) = commitLog.admit(at: now)
        let transitions: [Transition] =
            !isCommitFailing || admitted ? [.commitFailed(error: error, suppressed: suppressed)] : []
        isCommitFailing = true
        if kind == .final {
            awaiting = .ended
            return Step(transitions, .exit(disconnectingGracefully: false))
        }
        awaiting = .pass
        return Step(transitions, .wait(until: now + Self.commitRetry))
    }

    /// Pauses or resumes reading; returns the transition to log, if the state changed.
    private mutating func setPaused(_ paused: Bool) -> [Transition] {
        guard paused != isPaused else { return [] }
        isPaused = paused
        return [paused ? .paused : .resumed]
    }
}
