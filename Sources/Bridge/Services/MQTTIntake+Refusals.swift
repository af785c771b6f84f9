// iotflow-bridge: what the mapping refused: counted, logged at a bounded rate, dead-lettered.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Logging
import Mosquitto

extension MQTTIntake {
    /// Counts, logs and dead-letters what the mapper refused: the message as a whole (`reason`),
    /// or the single values and array elements it lists. One record and at most one log line per
    /// message, whatever the number of parts. Also counts replaced device timestamps.
    func recordRefusals(_ message: MosquittoMessage, refusedAs reason: RefusalReason?) {
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
