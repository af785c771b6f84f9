// iotflow-bridge: the MQTT thread's callbacks: connected, subscribed, a message to buffer.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Logging
import Mosquitto

// The callbacks run inside loopRead/loopWrite/loopMisc, on the MQTT thread.
extension MQTTIntake {
    func makeCallbacks() -> MosquittoCallbacks {
        var callbacks = MosquittoCallbacks()
        callbacks.onConnect = { [unowned self] result, sessionPresent in connected(result, sessionPresent) }
        callbacks.onDisconnect = { [unowned self] result in
            if result != 0 { logger.warning("Disconnected from the MQTT broker.", metadata: ["mqtt.rc": "\(result)"]) }
        }
        callbacks.onSubscribe = { [unowned self] _, granted in subscribedTo(granted) }
        callbacks.onMessage = { [unowned self] message in handle(message) }
        if configuration.mqtt.usesTLS {
            callbacks.onLog = { [unowned self] level, text in heard(level, text) }
        }
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
        machine.connectionAccepted()
        tlsConnectionAccepted()
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
        let receivedAt = WallClock.nanoseconds()
        let result = mapper.map(topic: message.topic, payload: message.payload, receivedAt: receivedAt, into: &lines)
        // Refused messages count too when their topic named a device: a device sending garbage
        // is not silent. One lock and one hash lookup; no allocation for a known device.
        if let device = mapper.deviceIDRange(in: message.topic) {
            counters.devices.record(
                deviceBytes: UnsafeRawBufferPointer(rebasing: message.topic[device]),
                at: receivedAt
            )
        }
        switch result {
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
                machine.appendInterrupted()
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
}
