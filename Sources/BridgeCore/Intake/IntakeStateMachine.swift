// iotflow-bridge: the MQTT intake loop's decisions: connect, pause, read, commit, end.
// SPDX-License-Identifier: Apache-2.0

/// What the MQTT thread does next, decided from the outcome of what it did last.
///
/// The owner starts with ``Event/started``, then repeats: log the ``Step``'s transitions, perform
/// its ``Action``, and hand the action's outcome back as the next ``Event``, until
/// ``Action/exit(disconnectingGracefully:)``. Three facts that are not the outcome of an action
/// are noted as they are seen: ``stopRequested()`` (before each event), and, from callbacks run
/// inside a read, ``appendInterrupted()`` and ``connectionAccepted()``.
///
/// A pass, while connected: ``Action/checkRoom`` (no room: intake pauses and logs it once) →
/// ``Action/poll(forReading:timeout:)`` (1 s, or 100 ms while paused, to look again for room) →
/// while the socket has messages and the buffer has room, ``Action/read(startingBurst:)``, at most
/// 256 reads or 100 ms a burst, far below the shortest keepalive → ``Action/commit`` →
/// ``Action/write`` (the PUBACKs for what is now durable, and keepalive).
///
/// While disconnected: check room; while paused, look again every 100 ms without connecting
/// (the broker queues meanwhile); otherwise connect once `nextConnect` has come. Each failed
/// connect doubles the backoff from `reconnectMin` up to `reconnectMax`; a connection the broker
/// accepts (CONNACK) resets it. A connection that ends before its CONNACK (a failed TLS handshake)
/// is a failed connect. The failure is logged the first time and then every tenth, until the
/// broker accepts a connection. A lost connection reconnects after the current backoff.
///
/// A failed commit holds everything: no read and no write, so no PUBACK leaves for what is not
/// durable. It is retried once a second and logged at the first failure, then at most once a
/// minute.
///
/// Ending: a stop is acted on between passes: one last commit, then a graceful disconnect if it
/// succeeded and the client is connected. An interrupted append (only a stop interrupts one)
/// abandons the connection: exit at once, without writing, so the message whose PUBACK is queued
/// in libmosquitto is delivered again.
///
/// A pure value: time comes in as an argument, so tests step it by hand.
public struct IntakeStateMachine: Sendable {
    /// The MQTT connection as the loop knows it.
    public enum Connection: Equatable, Sendable {
        /// No connection; the next connect is due at `nextConnect` (nil: at once).
        case disconnected(nextConnect: ContinuousClock.Instant?)
        /// A connect is under way.
        case connecting
        /// Connected (the broker's CONNACK may still be on its way).
        case connected
    }

    /// The outcome of the last ``Action``, or the start.
    public enum Event: Equatable, Sendable {
        /// The loop starts (before any action).
        case started
        /// A ``Action/wait(until:)`` ended, at its time or early for a stop.
        case waited
        /// Whether the buffer has room for a largest message (after dropping the oldest points,
        /// where `buffer.overflow` says so).
        case roomChecked(hasRoom: Bool)
        /// The connect call succeeded.
        case connectSucceeded
        /// The connect call failed, or the connection ended before the broker's CONNACK (a TLS
        /// handshake runs in the first reads and writes); `error` is the text for the log.
        case connectFailed(error: String)
        /// The poll ended; `socketReady` when the broker's socket has an event.
        case polled(socketReady: Bool)
        /// A read ended; `moreWaiting` when the socket still has something to read.
        case read(moreWaiting: Bool)
        /// What the reads appended is committed.
        case commitSucceeded
        /// The commit failed; `error` is the text for the log.
        case commitFailed(error: String)
        /// The queued packets are written and housekeeping is done.
        case wrote
        /// A read, write or housekeeping call failed: the connection is gone.
        case connectionLost(error: String)
    }

    /// What the loop does next; each but ``exit(disconnectingGracefully:)`` has an outcome event.
    public enum Action: Equatable, Sendable {
        /// Ask the buffer for room for a largest message. Outcome: ``Event/roomChecked(hasRoom:)``.
        case checkRoom
        /// Connect to the broker. Outcome: ``Event/connectSucceeded`` or ``Event/connectFailed(error:)``.
        case connect
        /// Sleep until `until` or a stop. Outcome: ``Event/waited``.
        case wait(until: ContinuousClock.Instant)
        /// Poll the socket (for reading when `forReading`, for writing when packets are queued)
        /// and the stop signal, for at most `timeout`. Outcome: ``Event/polled(socketReady:)``.
        case poll(forReading: Bool, timeout: Duration)
        /// Read what the socket holds; `startingBurst` for the first read of a burst.
        /// Outcome: ``Event/read(moreWaiting:)`` or ``Event/connectionLost(error:)``.
        case read(startingBurst: Bool)
        /// Commit what was appended. Outcome: ``Event/commitSucceeded`` or ``Event/commitFailed(error:)``.
        case commit
        /// Write queued packets, then housekeeping. Outcome: ``Event/wrote`` or ``Event/connectionLost(error:)``.
        case write
        /// End the loop, after a graceful disconnect when `disconnectingGracefully`.
        case exit(disconnectingGracefully: Bool)
    }

    /// A change the loop logs, once, before performing the step's action.
    public enum Transition: Equatable, Sendable {
        /// The buffer has no room for a message: reading stops.
        case paused
        /// The buffer has room again: reading resumes.
        case resumed
        /// A connect failed (`attempts` in a row); the next one is in `retryDelay`.
        case connectFailed(error: String, retryDelay: Duration, attempts: Int)
        /// The connection was lost.
        case connectionLost(error: String)
        /// The connection was lost while paused, as expected in a long pause: PINGRESPs are not
        /// read, so libmosquitto's keepalive check gives up on the connection.
        case disconnectedWhilePaused
        /// A commit failed; `suppressed` failures since the last such line were not logged.
        case commitFailed(error: String, suppressed: Int)
        /// A commit succeeded after failing.
        case commitResumed
    }

    /// The transitions to log, then the action to perform.
    public struct Step: Equatable, Sendable {
        /// Logged first, in order.
        public var transitions: [Transition]
        /// Performed next.
        public var action: Action

        /// A step performing `action` after logging `transitions`.
        public init(_ transitions: [Transition], _ action: Action) {
            self.transitions = transitions
            self.action = action
        }

        /// A step performing `action` with nothing to log.
        public init(_ action: Action) {
            self.init([], action)
        }

        /// This step with `earlier` logged before its own transitions.
        func logging(first earlier: [Transition]) -> Step {
            Step(earlier + transitions, action)
        }
    }

    /// The connection, as the last events left it.
    public internal(set) var connection: Connection = .disconnected(nextConnect: nil)
    /// Whether reading is paused for lack of room.
    public internal(set) var isPaused = false
    /// Whether the last commit failed, so nothing is read or written until one succeeds.
    public internal(set) var isCommitFailing = false
    /// The wait after the next failed connect.
    public internal(set) var backoff: Duration
    /// Failed connects since the broker last accepted a connection.
    public internal(set) var connectFailures = 0

    // Internal, not private, for the steps in IntakeStateMachine+Steps.swift.
    let reconnectMin: Duration
    let reconnectMax: Duration
    var stopping = false
    var abandoning = false
    var awaiting = Awaiting.pass
    var commitLog = LogRateLimiter(burst: 1, window: .seconds(60))

    /// Reads per burst before PUBACKs are written and room is checked again.
    static let maxReadsPerBurst = 256
    /// The longest a burst goes on, whatever the messages cost to map: far below the 5 s
    /// shortest keepalive.
    static let maxBurstDuration = Duration.milliseconds(100)
    /// How often, while paused, the loop looks again for room.
    static let pausedRecheck = Duration.milliseconds(100)
    /// The poll timeout while reading: keepalive needs a pass a second.
    static let pollTimeout = Duration.seconds(1)
    /// How often a failed commit is retried.
    static let commitRetry = Duration.seconds(1)

    /// A loop that connects at once, with the reconnect backoff doubling from `reconnectMin` to
    /// `reconnectMax` (a value below `reconnectMin` counts as `reconnectMin`).
    public init(reconnectMin: Duration, reconnectMax: Duration) {
        self.reconnectMin = reconnectMin
        self.reconnectMax = max(reconnectMax, reconnectMin)
        self.backoff = reconnectMin
    }

    /// A stop was requested: acted on between passes. Calling it again changes nothing.
    public mutating func stopRequested() {
        stopping = true
    }

    /// An append was interrupted inside a read: the read's PUBACK is queued, so the loop ends
    /// without writing once the read returns.
    public mutating func appendInterrupted() {
        abandoning = true
    }

    /// The broker accepted a connection (CONNACK): connect failures count from zero again, and
    /// the backoff starts again from `reconnectMin`. Not at the TCP connect: a broker that takes
    /// the connection and then fails the TLS handshake or refuses the CONNACK is not retried at
    /// `reconnectMin` for ever.
    public mutating func connectionAccepted() {
        connectFailures = 0
        backoff = reconnectMin
    }

    /// The step after `event`, which happened at `now`.
    public mutating func handle(_ event: Event, at now: ContinuousClock.Instant) -> Step {
        switch event {
        case .started, .waited, .wrote:
            return nextPass()
        case .roomChecked(let hasRoom):
            return roomChecked(hasRoom, at: now)
        case .connectSucceeded:
            connection = .connected
            return nextPass()
        case .connectFailed(let error):
            return connectFailed(error, at: now)
        case .polled(let socketReady):
            guard socketReady && !isPaused else { return commit(.ofPass) }
            return read(Burst(reads: 0, ends: now + Self.maxBurstDuration), starting: true)
        case .read(let moreWaiting):
            return readEnded(moreWaiting: moreWaiting, at: now)
        case .commitSucceeded:
            return commitSucceeded()
        case .commitFailed(let error):
            return commitFailed(error, at: now)
        case .connectionLost(let error):
            let transitions: [Transition] =
                isPaused ? [.disconnectedWhilePaused] : abandoning ? [] : [.connectionLost(error: error)]
            connection = .disconnected(nextConnect: now + backoff)
            return nextPass().logging(first: transitions)
        }
    }
}
