// iotflow-bridge: the MQTT thread: read, map, encode, append, acknowledge.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Glibc
import Logging
import Mosquitto

/// The bridge's own libmosquitto loop, confined to the MQTT thread.
///
/// Each pass: `poll(2)` the broker socket (and the stop signal) → `loopRead` (every message is
/// mapped, encoded and appended to the buffer inside `on_message`, with no hop to another thread)
/// → `loopWrite` (sends the PUBACKs libmosquitto queued before calling `on_message`; in threaded
/// mode they leave only here, after the points are in the buffer) → `loopMisc` (keepalive).
///
/// Between read and write, `buffer.commit()` makes the burst durable (one write and, with
/// `fsync: burst`, one `fdatasync` per burst): a PUBACK leaves only for what is on disk. If the
/// disk refuses, nothing more is read or written (the PUBACKs wait) until a commit succeeds.
///
/// When the buffer lacks room for another message the loop stops reading the socket (intake
/// pauses) but keeps writing and pinging; the broker holds the backlog in the persistent session.
/// With `buffer.overflow: drop_oldest` it first drops the oldest points not being sent, and
/// pauses only if nothing can be dropped.
/// Reconnects are this loop's job: libmosquitto reconnects only inside its own loop functions,
/// which the bridge does not use. The delay doubles from `reconnect_min` to `reconnect_max`.
///
/// `IntakeStateMachine` decides all of this, time and history included; this class performs its
/// actions and reports their outcomes. The members the callbacks and the refusal records use
/// (in `MQTTIntake+Callbacks.swift` and `MQTTIntake+Refusals.swift`) are internal, not private.
final class MQTTIntake {
    let configuration: BridgeConfiguration
    let buffer: any PointBufferIntake
    let counters: BridgeCounters
    let logger: Logger
    let subscribed: ReadinessEvent
    let refusedMessages: DeadLetterFile
    /// The payload bytes a refused message's record holds: all of it, when the mapping read it
    /// (`max_payload_bytes` at most); the beginning only of one refused for its size.
    let recordPayloadBytes: Int
    static let oversizedPayloadBytes = 4096
    /// The client, set once `run` created it; the callbacks subscribe through it.
    var client: MosquittoClient?
    var mapper: PointMapper
    private let deviceRegistry: DeviceRegistryHandoff
    private var deviceRegistryGeneration = 0
    private let schema: FieldSchemaHandoff
    private var schemaGeneration = 0
    var lines = LineProtocolWriter()
    var refusalLog = DeviceLogLimiter()
    var stringsLog = LogRateLimiter(burst: 1, window: .seconds(60))
    /// Under `mqtt.retained: store` with MQTT 3.1.1: each topic's last stored retained payload,
    /// both as 64-bit hashes, so the copy the broker hands out at every subscribe is stored once.
    /// Bounded: 16 bytes a topic, however long, and forgotten whole past `maxRetainedTopics`.
    var retainedSeen: [Int: Int] = [:]
    static let maxRetainedTopics = 100_000
    /// The loop's state. The callbacks note in it what they see inside a read: the broker
    /// accepted the connection, or an append was interrupted (its PUBACK is queued in
    /// libmosquitto, so the connection must be dropped without writing; the broker redelivers).
    var machine: IntakeStateMachine
    private var dropLog = LogRateLimiter(burst: 1, window: .seconds(10))
    /// Points dropped for room, in all and since the last log line about it.
    private var dropped = (total: 0, unlogged: 0)
    /// Bytes that must be free before reading another burst: room for a maximal message.
    private let readReserveBytes: Int
    /// The connection state last reported to `counters.status` (on a change only).
    private var reportedConnected = false
    /// TLS between connects (`MQTTIntake+TLS.swift`); unused without `mqtt.usesTLS`.
    var tlsState = MQTTIntakeTLS()

    init(
        configuration: BridgeConfiguration,
        buffer: any PointBufferIntake,
        counters: BridgeCounters,
        subscribed: ReadinessEvent,
        refusedMessages: DeadLetterFile,
        deviceRegistry: DeviceRegistryHandoff,
        schema: FieldSchemaHandoff,
        logger: Logger
    ) {
        self.refusedMessages = refusedMessages
        self.recordPayloadBytes = configuration.mapping.maxPayloadBytes
        self.deviceRegistry = deviceRegistry
        self.schema = schema
        self.configuration = configuration
        self.buffer = buffer
        self.counters = counters
        self.subscribed = subscribed
        self.logger = logger
        self.mapper = PointMapper(configuration: configuration.mapping, deviceRegistry: deviceRegistry.current)
        self.readReserveBytes = configuration.mapping.maxEncodedBytes
        self.machine = IntakeStateMachine(
            reconnectMin: configuration.mqtt.reconnectMin,
            reconnectMax: configuration.mqtt.reconnectMax
        )
    }

    /// Runs until `stop` is signalled. Throws only if the client cannot be created at all.
    func run(until stop: WakeSignal) throws {
        let mqtt = configuration.mqtt
        let client = try MosquittoClient(
            clientID: mqtt.clientID.isEmpty ? nil : mqtt.clientID,
            cleanSession: mqtt.cleanSession,
            threaded: true,
            mqtt5: mqtt.protocolVersion == .v5,
            callbacks: makeCallbacks()
        )
        if let username = mqtt.username {
            try client.setCredentials(username: username, password: mqtt.password?.value)
        }
        self.client = client
        // The first messages are typed by InfluxDB's schema when it answers in time; never longer.
        schema.waitForFirstRead(upTo: configuration.influxdb.timeout, or: stop)
        var event = IntakeStateMachine.Event.started
        while true {
            if stop.isSignalled { machine.stopRequested() }
            // One clock reading a step serves the machine and the heartbeat: a step is taken per
            // read of a burst.
            let now = ContinuousClock.now
            let step = machine.handle(event, at: now)
            let connected = machine.connection == .connected
            counters.mqttHeartbeat.beat(at: now, flag: connected, until: step.action.plannedWaitEnd)
            if connected != reportedConnected {
                counters.status.mqttConnection(connected, at: now)
                reportedConnected = connected
            }
            for transition in step.transitions { log(transition) }
            guard let outcome = perform(step.action, client, stop: stop) else { return }
            event = outcome
        }
    }

    /// Performs `action`; returns its outcome, or nil once the loop is to end.
    private func perform(
        _ action: IntakeStateMachine.Action,
        _ client: MosquittoClient,
        stop: WakeSignal
    ) -> IntakeStateMachine.Event? {
        switch action {
        case .checkRoom:
            return .roomChecked(hasRoom: hasRoomForAMessage())
        case .connect:
            return connect(client)
        case .wait(let until):
            // The step was decided a moment ago: a deadline already past waits not at all.
            stop.wait(for: max(.zero, ContinuousClock.now.duration(to: until)))
            return .waited
        case .poll(let forReading, let timeout):
            return .polled(socketReady: pollSocket(client, forReading: forReading, timeout: timeout, stop: stop))
        case .read(let startingBurst):
            return read(client, startingBurst: startingBurst)
        case .commit:
            return commitAppended()
        case .write:
            do {
                if client.wantsWrite { try client.loopWrite() }
                try client.loopMisc()
                return .wrote
            } catch {
                return failed(error, connecting: false)
            }
        case .exit(let disconnectingGracefully):
            // Best effort: PUBACKs for what was buffered, then a DISCONNECT the broker reads before
            // the connection closes, so it does not resend what the bridge already holds.
            if disconnectingGracefully { try? client.disconnectGracefully(timeout: .seconds(1)) }
            return nil
        }
    }

    private func connect(_ client: MosquittoClient) -> IntakeStateMachine.Event {
        let mqtt = configuration.mqtt
        if mqtt.usesTLS, let failure = prepareTLSConnect(client) { return .connectFailed(error: failure) }
        do {
            try client.connect(
                host: mqtt.host,
                port: mqtt.port,
                keepaliveSeconds: Int(mqtt.keepalive.components.seconds),
                sessionExpirySeconds: mqtt.sessionExpirySeconds
            )
            return .connectSucceeded
        } catch {
            return failed(error, connecting: true)
        }
    }

    /// Polls the socket (for reading when `forReading`, for writing when packets are queued) and
    /// the stop signal; returns whether the socket has an event.
    private func pollSocket(_ client: MosquittoClient, forReading: Bool, timeout: Duration, stop: WakeSignal) -> Bool {
        var descriptors = [
            pollfd(
                fd: client.socket,
                events: Int16((forReading ? POLLIN : 0) | (client.wantsWrite ? POLLOUT : 0)),
                revents: 0
            ),
            pollfd(fd: stop.fileDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        _ = poll(&descriptors, 2, CInt(clamping: timeout.roundedUpMilliseconds))
        return descriptors[0].revents != 0
    }

    /// One `loopRead`; a burst's first read first takes a newer device registry or schema.
    private func read(_ client: MosquittoClient, startingBurst: Bool) -> IntakeStateMachine.Event {
        if startingBurst {
            if let registry = deviceRegistry.take(ifNewerThan: &deviceRegistryGeneration) {
                mapper.deviceRegistry = registry
            }
            if let newer = schema.take(ifNewerThan: &schemaGeneration) { mapper.useSchema(newer) }
        }
        do {
            try client.loopRead()
        } catch {
            return failed(error, connecting: false)
        }
        endTLSLogging(client)
        return .read(moreWaiting: isReadable(client.socket))
    }

    /// Commits what the burst appended. When the disk refuses, the burst's PUBACKs must not be
    /// sent: the state machine stops reading and writing until a commit succeeds.
    private func commitAppended() -> IntakeStateMachine.Event {
        do {
            try buffer.commit()
        } catch {
            return .commitFailed(error: "\(error)")
        }
        return .commitSucceeded
    }

    /// Whether the buffer has room for a largest message, after dropping the oldest points if
    /// `buffer.overflow` says so.
    private func hasRoomForAMessage() -> Bool {
        if buffer.hasRoom(forBytes: readReserveBytes) { return true }
        guard configuration.buffer.overflow == .dropOldest else { return false }
        let points = buffer.dropOldest(freeing: readReserveBytes).points
        if points > 0 {
            BridgeCounters.add(points, to: counters.pointsDropped)
            dropped = (dropped.total + points, dropped.unlogged + points)
            if dropLog.admit(at: .now).admitted {
                logger.warning(
                    "Buffer full: dropped the oldest points not yet sent (buffer.overflow: drop_oldest).",
                    metadata: ["points.dropped": "\(dropped.unlogged)", "points.dropped_total": "\(dropped.total)"]
                )
                dropped.unlogged = 0
            }
        }
        return buffer.hasRoom(forBytes: readReserveBytes)
    }

    private func isReadable(_ socket: CInt) -> Bool {
        guard socket >= 0 else { return false }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0
    }

    /// Logs a transition the state machine reported, in the words operators and tests look for.
    private func log(_ transition: IntakeStateMachine.Transition) {
        switch transition {
        case .paused, .resumed:
            counters.status.intakePaused(transition == .paused)
            let (points, bytes) = buffer.occupancy
            let metadata: Logger.Metadata = ["buffer.points": "\(points)", "buffer.bytes": "\(bytes)"]
            if transition == .paused {
                logger.warning("Buffer full: intake paused, the broker queues for the bridge.", metadata: metadata)
            } else {
                logger.notice("Buffer has room again: intake resumed.", metadata: metadata)
            }
        case .connectFailed(let error, let delay, let attempts):
            var metadata: Logger.Metadata = [
                "mqtt.host": "\(configuration.mqtt.host)", "mqtt.port": "\(configuration.mqtt.port)",
                "error": "\(error)", "retry.delay": "\(ConfigDuration.format(delay))", "attempts": "\(attempts)",
            ]
            if configuration.mqtt.usesTLS { metadata["mqtt.tls"] = "\(tlsSummary)" }
            logger.error("Cannot connect to the MQTT broker.", metadata: metadata)
        case .connectionLost(let error):
            logger.warning("Lost the MQTT connection.", metadata: ["error": "\(error)"])
        case .disconnectedWhilePaused:
            logger.notice("Disconnected while intake is paused; reconnecting once the buffer has room.")
        case .commitFailed(let error, let suppressed):
            logger.error(
                "Cannot write the durable buffer: intake paused, PUBACKs held; the broker keeps the messages.",
                metadata: ["error": "\(error)", "log.suppressed": "\(suppressed)"]
            )
        case .commitResumed:
            logger.notice("The durable buffer takes writes again: intake resumed.")
        }
    }
}

@available(*, unavailable, message: "MQTTIntake is confined to the MQTT thread")
extension MQTTIntake: Sendable {}
