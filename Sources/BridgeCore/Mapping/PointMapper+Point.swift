// iotflow-bridge: one JSON object to one point: its time, its fields and tags, written.
// SPDX-License-Identifier: Apache-2.0

extension PointMapper {
    /// Maps one object (the payload, or one element of an array payload) to a point.
    mutating func mapPoint(
        _ members: [(key: String, value: JSONValue)],
        element: Int?,
        receivedAt: Int64,
        context: PointContext,
        into writer: inout LineProtocolWriter
    ) -> PointOutcome {
        fields.removeAll(keepingCapacity: true)
        payloadTags.removeAll(keepingCapacity: true)
        pointRefusalsStart = refusals.count
        // The IoTFlow HTTP shape: fields in `data`, tags in `metadata`, the device type in `type`.
        var data: [(key: String, value: JSONValue)]?
        for member in members where member.key == "data" {
            if case .object(let inner) = member.value { data = inner }
        }
        var deviceTime = members.last { timestampKeys.contains($0.key) }?.value
        if let data, deviceTime == nil { deviceTime = data.last { timestampKeys.contains($0.key) }?.value }
        let fallback = receivedAt &+ Int64(element ?? 0)
        let timestamp: Int64
        switch pointTime(deviceTime, receivedAt: receivedAt, fallback: fallback) {
        case .success(let time): timestamp = time
        case .failure(let refusal): return .refused(refusal.reason)
        }
        if let data {
            for member in members {
                switch (member.key, member.value) {
                case ("data", .object):
                    if let reason = collect(data, prefix: "", depth: 1, element: element) { return .refused(reason) }
                case ("metadata", .object(let metadata)):
                    for entry in metadata { addTag(key: entry.key, entry.value, element: element) }
                case ("type", .string(let type)):
                    addTag(key: "device_type", .string(type), element: element)
                default:
                    if let reason = collect([member], prefix: "", depth: 1, element: element) {
                        return .refused(reason)
                    }
                }
            }
        } else if let reason = collect(members, prefix: "", depth: 1, element: element) {
            return .refused(reason)
        }
        return writePoint(timestamp: timestamp, element: element, context: context, into: &writer)
    }

    /// Writes the measurement, the tags (topic, then registry, then payload; the first of a key wins)
    /// and the collected fields (the last of a key wins; a key taken by a tag is skipped), each
    /// settled against the type registry.
    mutating func writePoint(
        timestamp: Int64,
        element: Int?,
        context: PointContext,
        into writer: inout LineProtocolWriter
    ) -> PointOutcome {
        writer.beginPoint(measurement: context.measurement.utf8)
        // Count first, so a point that is refused as a whole records no field types.
        guard writeTags(context: context, into: &writer), fieldCount() <= maxFields else {
            writer.cancelPoint()
            return .refused(.tooManyFields)
        }
        for index in fields.indices where !shadowed[index] {
            let field = fields[index]
            if tagKeys.contains(field.key) {
                skipped += 1
                continue
            }
            switch settle(field) {
            case .success(let value):
                writer.appendField(key: field.key.utf8, value: value)
            case .failure(let refusal):
                refusals.append(MappingRefusal(refusal.reason, field: field.key, element: element))
            }
        }
        guard writer.fieldsInPoint > 0 else {
            writer.cancelPoint()
            return refusals.count > pointRefusalsStart ? .emptied : .refused(.noFields)
        }
        writer.endPoint(timestampNanoseconds: timestamp)
        return .written
    }

    /// Writes the tags (topic, then registry, then payload; the first of a key wins), keeping their
    /// keys in `tagKeys`; false when the payload brings more tags than a point may carry fields.
    private mutating func writeTags(context: PointContext, into writer: inout LineProtocolWriter) -> Bool {
        tagKeys.removeAll(keepingCapacity: true)
        for tag in match.tags {
            writer.appendTag(key: tag.key.utf8, value: context.topic[tag.value])
            tagKeys.append(tag.key)
        }
        if topicTag && !tagKeys.contains("topic") {
            writer.appendTag(key: "topic".utf8, value: context.topic)
            tagKeys.append("topic")
        }
        for tag in context.deviceTags where !tagKeys.contains(tag.key) {
            writer.appendTag(key: tag.key.utf8, value: tag.value.utf8)
            tagKeys.append(tag.key)
        }
        // Bounded like fields, so checking keys against the tags written stays cheap.
        guard payloadTags.count <= maxFields else { return false }
        for tag in payloadTags {
            if tagKeys.contains(tag.key) {
                skipped += 1
                continue
            }
            writer.appendTag(key: tag.key.utf8, value: tag.value.utf8)
            tagKeys.append(tag.key)
        }
        return true
    }

    /// The fields the point will carry: the last of each key, less the keys taken by a tag.
    private mutating func fieldCount() -> Int {
        markShadowed()
        var count = 0
        for index in fields.indices where !shadowed[index] && !tagKeys.contains(fields[index].key) { count += 1 }
        return count
    }

    /// Marks the fields that a later field with the same key replaces (the last of duplicate keys
    /// wins, as in most JSON readers). Linear for large objects, so a hostile payload with thousands
    /// of keys costs no more than its size.
    private mutating func markShadowed() {
        shadowed.removeAll(keepingCapacity: true)
        if fields.count <= 16 {
            for index in fields.indices {
                let key = fields[index].key
                shadowed.append(fields[(index + 1)...].contains { $0.key == key })
            }
            return
        }
        var last: [String: Int] = [:]
        for (index, field) in fields.enumerated() { last[field.key] = index }
        for index in fields.indices { shadowed.append(last[fields[index].key] != index) }
    }

    // MARK: - Time

    /// The point's time: the device's, or `fallback` when it sent none or one out of range under
    /// `receive_time`; refused when unreadable, or out of range under `reject`.
    private mutating func pointTime(_ value: JSONValue?, receivedAt: Int64, fallback: Int64) -> Result<Int64, Refusal> {
        guard let value else { return .success(fallback) }
        guard let time = Self.timestamp(value) else { return .failure(Refusal(.invalidTimestamp)) }
        let (earliest, o1) = receivedAt.subtractingReportingOverflow(maxPastNanoseconds)
        let (latest, o2) = receivedAt.addingReportingOverflow(maxFutureNanoseconds)
        let inRange = (o1 || time >= earliest) && (o2 || time <= latest)
        guard !inRange else { return .success(time) }
        switch timestampPolicy {
        case .keep: return .success(time)
        case .reject: return .failure(Refusal(.timestampOutOfRange))
        case .receiveTime:
            timestampsReplaced += 1
            return .success(fallback)
        }
    }

    /// A device timestamp: an epoch number, or RFC 3339 text, or an epoch number as text.
    static func timestamp(_ value: JSONValue) -> Int64? {
        switch value {
        case .number(let number):
            return Timestamp.nanoseconds(epoch: number)
        case .string(let text):
            if let nanoseconds = Timestamp.nanoseconds(rfc3339: text) { return nanoseconds }
            guard case .number(let epoch) = NumericText.parse(text) else { return nil }
            return Timestamp.nanoseconds(epoch: epoch)
        default:
            return nil
        }
    }
}
