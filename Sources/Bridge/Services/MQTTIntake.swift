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
final class MQTTIntake {
    private let configuration: BridgeConfiguration
    private let buffer: any PointBufferIntake
    private let counters: BridgeCounters
    private let logger: Logger
    private let subscribed: ReadinessEvent
    private let refusedMessages: DeadLetterFile
    /// The payload bytes a refused message's record holds: all of it, when the mapping read it
    /// (`max_payload_bytes` at most); the beginning only of one refused for its size.
    private let recordPayloadBytes: Int
    private static let oversizedPayloadBytes = 4096
    /// The client, set once `run` created it; the callbacks subscribe through it.
    private var client: MosquittoClient?
    private var mapper: PointMapper
    private let deviceRegistry: DeviceRegistryHandoff
    private var deviceRegistryGeneration = 0
    private let schema: FieldSchemaHandoff
    private var schemaGeneration = 0
    private var lines = LineProtocolWriter()
    private var refusalLog = DeviceLogLimiter()
    private var stringsLog = LogRateLimiter(burst: 1, window: .seconds(60))
    /// Under `mqtt.retained: store` with MQTT 3.1.1: each topic's last stored retained payload,
    /// both as 64-bit hashes, so the copy the broker hands out at every subscribe is stored once.
    /// Bounded: 16 bytes a topic, however long, and forgotten whole past `maxRetainedTopics`.
    private var retainedSeen: [Int: Int] = [:]
    private static let maxRetainedTopics = 100_000
    private var paused = false
    /// Whether the last commit failed; then the loop only retries it, once a second.
    private var commitFailing = false
    private var commitLog = LogRateLimiter(burst: 1, window: .seconds(60))
    private var dropLog = LogRateLimiter(burst: 1, window: .seconds(10))
    /// Points dropped for room, in all and since the last log line about it.
    private var dropped = (total: 0, unlogged: 0)
    private var connectFailures = 0
    /// Set when a message's points could not be buffered: its PUBACK is queued in libmosquitto,
    /// so the connection must be dropped without writing, and the broker will redeliver.
    private var abandonConnection = false
    /// Bytes that must be free before reading another burst: room for a maximal message.
    private let readReserveBytes: Int
    /// Messages read per burst before the loop writes PUBACKs and checks for room again.
    private static let maxMessagesPerBurst = 256
    /// The longest a read burst goes on before the loop writes PUBACKs and pings: far below the
    /// 5 s shortest keepalive, whatever the messages cost to map.
    private static let maxBurstDuration = Duration.milliseconds(100)

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
        var reconnectDelay = mqtt.reconnectMin
        var nextConnect = ContinuousClock.now
        while !stop.isSignalled && !abandonConnection {
            if commitFailing && !commitAppended() {
                stop.wait(for: .seconds(1))
                continue
            }
            if client.socket < 0 {
                // Reconnecting while the buffer is full would only read messages there is no
                // room for; the broker keeps queueing in the persistent session meanwhile.
                setPaused(!hasRoomForAMessage())
                if paused {
                    stop.wait(for: .milliseconds(100))
                    continue
                }
                let now = ContinuousClock.now
                guard now >= nextConnect else {
                    stop.wait(for: now.duration(to: nextConnect))
                    continue
                }
                do {
                    try client.connect(
                        host: mqtt.host,
                        port: mqtt.port,
                        keepaliveSeconds: Int(mqtt.keepalive.components.seconds),
                        sessionExpirySeconds: mqtt.sessionExpirySeconds
                    )
                    reconnectDelay = mqtt.reconnectMin
                } catch {
                    connectFailed(error, retryIn: reconnectDelay)
                    nextConnect = now + reconnectDelay
                    reconnectDelay = min(reconnectDelay * 2, mqtt.reconnectMax)
                }
                continue
            }
            do {
                try pass(client, stop: stop)
            } catch {
                if paused {
                    // Expected in a long pause: PINGRESPs are not read, so libmosquitto's
                    // keepalive check gives up on the connection.
                    logger.notice("Disconnected while intake is paused; reconnecting once the buffer has room.")
                } else if !abandonConnection {
                    logger.warning("Lost the MQTT connection.", metadata: ["error": "\(error)"])
                }
                nextConnect = ContinuousClock.now + reconnectDelay
            }
        }
        guard !abandonConnection, commitAppended() else { return }
        // Best effort: PUBACKs for what was buffered, then a DISCONNECT the broker reads before
        // the connection closes, so it does not resend what the bridge already holds.
        try? client.disconnectGracefully(timeout: .seconds(1))
    }

    /// One poll → read burst → write → housekeeping pass.
    private func pass(_ client: MosquittoClient, stop: WakeSignal) throws(MosquittoError) {
        setPaused(!hasRoomForAMessage())
        var descriptors = [
            pollfd(
                fd: client.socket,
                events: Int16((paused ? 0 : POLLIN) | (client.wantsWrite ? POLLOUT : 0)),
                revents: 0
            ),
            pollfd(fd: stop.fileDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        // While paused, look again for room every 100 ms; otherwise keepalive needs a pass a second.
        _ = poll(&descriptors, 2, paused ? 100 : 1000)
        if !paused && descriptors[0].revents != 0 {
            if let registry = deviceRegistry.take(ifNewerThan: &deviceRegistryGeneration) {
                mapper.deviceRegistry = registry
            }
            if let newer = schema.take(ifNewerThan: &schemaGeneration) { mapper.useSchema(newer) }
            let burstEnds = ContinuousClock.now + Self.maxBurstDuration
            try client.loopRead()
            var burst = 1
            while burst < Self.maxMessagesPerBurst && !abandonConnection && isReadable(client.socket)
                && hasRoomForAMessage() && ContinuousClock.now < burstEnds
            {
                try client.loopRead()
                burst += 1
            }
        }
        if abandonConnection { return }
        guard commitAppended() else { return }
        if client.wantsWrite { try client.loopWrite() }
        try client.loopMisc()
    }

    /// Commits what the burst appended. False when the disk refused: the burst's PUBACKs must
    /// not be sent, so the loop stops reading and writing until a commit succeeds.
    private func commitAppended() -> Bool {
        do {
            try buffer.commit()
        } catch {
            let (admitted, suppressed) = commitLog.admit(at: .now)
            if !commitFailing || admitted {
                logger.error(
                    "Cannot write the durable buffer: intake paused, PUBACKs held; the broker keeps the messages.",
                    metadata: ["error": "\(error)", "log.suppressed": "\(suppressed)"]
                )
            }
            commitFailing = true
            return false
        }
        if commitFailing {
            commitFailing = false
            logger.notice("The durable buffer takes writes again: intake resumed.")
        }
        return true
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

    private func setPaused(_ nowPaused: Bool) {
        guard nowPaused != paused else { return }
        paused = nowPaused
        let (points, bytes) = buffer.occupancy
        let metadata: Logger.Metadata = ["buffer.points": "\(points)", "buffer.bytes": "\(bytes)"]
        if paused {
            logger.warning("Buffer full: intake paused, the broker queues for the bridge.", metadata: metadata)
        } else {
            logger.notice("Buffer has room again: intake resumed.", metadata: metadata)
        }
    }

    private func connectFailed(_ error: MosquittoError, retryIn delay: Duration) {
        connectFailures += 1
        // Log the first failure and then every tenth, so a long broker outage stays readable.
        guard connectFailures == 1 || connectFailures % 10 == 0 else { return }
        logger.error(
            "Cannot connect to the MQTT broker.",
            metadata: [
                "mqtt.host": "\(configuration.mqtt.host)", "mqtt.port": "\(configuration.mqtt.port)",
                "error": "\(error)", "retry.delay": "\(ConfigDuration.format(delay))", "attempts": "\(connectFailures)",
            ]
        )
    }

    // MARK: - Callbacks (run inside loopRead/loopWrite/loopMisc, on this thread)

    private func makeCallbacks() -> MosquittoCallbacks {
        var callbacks = MosquittoCallbacks()
        callbacks.onConnect = { [unowned self] result, sessionPresent in connected(result, sessionPresent) }
        callbacks.onDisconnect = { [unowned self] result in
            if result != 0 { logger.warning("Disconnected from the MQTT broker.", metadata: ["mqtt.rc": "\(result)"]) }
        }
        callbacks.onSubscribe = { [unowned self] _, granted in subscribedTo(granted) }
        callbacks.onMessage = { [unowned self] message in handle(message) }
        return callbacks
    }

    private func connected(_ result: CInt, _ sessionPresent: Bool) {
        guard result == 0 else {
            logger.error(
                "The MQTT broker refused the connection.",
                metadata: ["mqtt.reason": "\(client?.connackDescription(result) ?? "code \(result)")"]
            )
            return
        }
        connectFailures = 0
        logger.notice(
            "Connected to the MQTT broker.",
            metadata: [
                "mqtt.host": "\(configuration.mqtt.host)", "mqtt.port": "\(configuration.mqtt.port)",
                "mqtt.client_id": "\(configuration.mqtt.clientID)", "mqtt.session_present": "\(sessionPresent)",
                "mqtt.protocol": "\(configuration.mqtt.protocolVersion.rawValue)",
            ]
        )
        // Subscribe on every connect, not once: a broker that lost the session (restarted
        // without persistence, or a clean session) would otherwise deliver nothing.
        let retained: MosquittoClient.RetainHandling =
            configuration.mqtt.retained == .skip ? .never : .newSubscriptionOnly
        for filter in configuration.mqtt.topics {
            do {
                try client?.subscribe(filter, qos: configuration.mqtt.qos, retained: retained)
            } catch {
                logger.error("Cannot subscribe.", metadata: ["mqtt.topic": "\(filter)", "error": "\(error)"])
            }
        }
    }

    private func subscribedTo(_ granted: [CInt]) {
        // 0x80 in MQTT 3.1.1; any reason code from 0x80 up in MQTT 5 (0x87: not authorized, ...).
        let refused = granted.filter { $0 >= 0x80 }.count
        if refused > 0 {
            logger.error("The MQTT broker refused a subscription.", metadata: ["mqtt.refused": "\(refused)"])
        } else {
            logger.notice(
                "Subscribed.",
                metadata: [
                    "mqtt.topics": "\(configuration.mqtt.topics.joined(separator: ","))", "mqtt.qos": "\(granted)",
                ]
            )
            subscribed.fire()
        }
    }

    private func handle(_ message: MosquittoMessage) {
        BridgeCounters.add(1, to: counters.messagesReceived)
        guard !message.retain || storesRetained(message) else {
            BridgeCounters.add(1, to: counters.retainedSkipped)
            return
        }
        lines.removeAll()
        switch mapper.map(
            topic: message.topic,
            payload: message.payload,
            receivedAt: WallClock.nanoseconds(),
            into: &lines
        ) {
        case .mapped(let points, let skippedFields):
            let appended = lines.bytes.withUnsafeBufferPointer { bytes in
                lines.lineLengths.withUnsafeBufferPointer { lengths in
                    // Normally there is room (reads pause before the buffer fills, and a message
                    // is at most max_encoded_bytes, which validation keeps well below the
                    // buffer). If not, wait: the PUBACK is withheld meanwhile.
                    buffer.append(lines: bytes, lineLengths: lengths, waitingUpTo: .seconds(365 * 86_400))
                }
            }
            guard appended else {
                // Only a stop interrupts the wait: leave without writing this message's PUBACK,
                // so the broker delivers it again.
                abandonConnection = true
                return
            }
            BridgeCounters.add(points, to: counters.pointsReceived)
            if skippedFields > 0 { BridgeCounters.add(skippedFields, to: counters.fieldsSkipped) }
            recordRefusals(message, refusedAs: nil)
        case .refused(let reason):
            recordRefusals(message, refusedAs: reason)
        }
    }

    /// Whether a retained message is stored: never under `mqtt.retained: skip`; under `store`,
    /// unless it repeats the last retained payload stored for its topic (MQTT 3.1.1 gets every
    /// retained message again at each subscribe; MQTT 5 asks the broker not to resend them).
    private func storesRetained(_ message: MosquittoMessage) -> Bool {
        guard configuration.mqtt.retained == .store else { return false }
        var payloadHasher = Hasher()
        payloadHasher.combine(bytes: message.payload)
        let digest = payloadHasher.finalize()
        var topicHasher = Hasher()
        topicHasher.combine(bytes: message.topic)
        let topic = topicHasher.finalize()
        if retainedSeen[topic] == digest { return false }
        if retainedSeen.count >= Self.maxRetainedTopics { retainedSeen.removeAll(keepingCapacity: true) }
        retainedSeen[topic] = digest
        return true
    }

    /// Counts, logs and dead-letters what the mapper refused: the message as a whole (`reason`),
    /// or the single values and array elements it lists. One record and at most one log line per
    /// message, whatever the number of parts. Also counts replaced device timestamps.
    private func recordRefusals(_ message: MosquittoMessage, refusedAs reason: RefusalReason?) {
        if mapper.timestampsReplaced > 0 {
            BridgeCounters.add(mapper.timestampsReplaced, to: counters.timestampsReplaced)
        }
        if !mapper.stringsLeftOut.isEmpty { recordStringsLeftOut(message) }
        let parts = mapper.refusals
        guard let reason = reason ?? parts.first?.reason else { return }
        if parts.isEmpty {
            counters.countRefusals(CollectionOfOne(MappingRefusal(reason)))
        } else {
            counters.countRefusals(parts)
        }
        let device = mapper.deviceID(in: message.topic)
        let letter = DeadLetter(
            time: WallClock.nanoseconds(),
            refusedAs: reason,
            parts: parts,
            device: device,
            topic: String(decoding: message.topic, as: UTF8.self),
            payload: message.payload,
            maxPayloadBytes: reason == .payloadTooLarge ? Self.oversizedPayloadBytes : recordPayloadBytes
        )
        logRefusal(letter, message)
        if refusedMessages.append([letter]) == 0 {
            BridgeCounters.add(1, to: counters.refusedUnrecorded)
        }
    }

    /// Counts untyped text left out under `string_policy: declared`, and logs it at most once a
    /// minute, naming a field to declare if it is wanted: expected, so no dead-letter record.
    private func recordStringsLeftOut(_ message: MosquittoMessage) {
        BridgeCounters.add(mapper.stringsLeftOut.count, to: counters.stringsLeftOut)
        let (admitted, suppressed) = stringsLog.admit(at: .now)
        guard admitted, let field = mapper.stringsLeftOut.first else { return }
        var metadata: Logger.Metadata = [
            "mqtt.topic": "\(String(decoding: message.topic.prefix(256), as: UTF8.self))", "field": "\(field)",
            "log.suppressed": "\(suppressed)",
        ]
        if let device = mapper.deviceID(in: message.topic) { metadata["device_id"] = "\(device)" }
        logger.notice(
            "Text left out: no declaration or schema makes the field a string (mapping.field_types: name:string keeps it).",
            metadata: metadata
        )
    }

    private func logRefusal(_ letter: DeadLetter, _ message: MosquittoMessage) {
        let (admitted, suppressed) = refusalLog.admit(device: letter.device, at: .now)
        guard admitted else { return }
        var metadata: Logger.Metadata = [
            "mqtt.topic": "\(String(decoding: message.topic.prefix(256), as: UTF8.self))",
            "refusal.reason": "\(letter.reason)",
            "payload.bytes": "\(message.payload.count)",
            "log.suppressed": "\(suppressed)",
        ]
        if let device = letter.device { metadata["device_id"] = "\(device)" }
        if !letter.refused.isEmpty { metadata["refusal.parts"] = "\(letter.refused.count + letter.refusedMore)" }
        if let field = letter.refused.first?.field { metadata["field"] = "\(field)" }
        if let element = letter.refused.first?.element { metadata["element"] = "\(element)" }
        logger.warning(letter.refused.isEmpty ? "Message refused." : "Values refused.", metadata: metadata)
    }
}

@available(*, unavailable, message: "MQTTIntake is confined to the MQTT thread")
extension MQTTIntake: Sendable {}
