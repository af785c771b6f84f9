// iotflow-bridge: one JSON object to one point: time, flattened fields, tags, checked types.
// SPDX-License-Identifier: Apache-2.0

/// A value that will become a field once its type is settled against the type registry.
enum Candidate {
    case number(JSONNumber)
    case bool(Bool)
    case string(String)
}

/// A field collected from the payload, key as written (sanitized, flattened).
struct PendingField {
    var key: String
    var value: Candidate
}

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

    /// Adds the members as fields, nested objects flattened with `_`; refuses the point when they
    /// nest deeper than `max_depth`.
    private mutating func collect(
        _ members: [(key: String, value: JSONValue)],
        prefix: String,
        depth: Int,
        element: Int?
    ) -> RefusalReason? {
        for member in members {
            // A timestamp key is the point's time, not a field, at the point's own level.
            if depth == 1 && timestampKeys.contains(member.key) { continue }
            let key = prefix.isEmpty ? member.key : prefix + "_" + member.key
            if case .object(let inner) = member.value {
                guard depth < maxDepth else { return .tooDeep }
                if let reason = collect(inner, prefix: key, depth: depth + 1, element: element) { return reason }
            } else {
                addValue(member.value, key: key, element: element)
            }
        }
        return nil
    }

    /// Adds one scalar as a field candidate, or refuses or skips it.
    mutating func addValue(_ value: JSONValue, key rawKey: String, element: Int?) {
        let key = LineProtocolWriter.sanitizedFieldKey(rawKey)
        guard !key.isEmpty else {
            skipped += 1
            return
        }
        guard acceptsKey(key, element: element) else { return }
        switch value {
        case .number(let number):
            addNumber(number, key: key, element: element)
        case .bool(let flag):
            fields.append(PendingField(key: key, value: .bool(flag)))
        case .string(let text):
            // A field typed string keeps the text as sent, numeric or not ("007", "NaN").
            if knownType(of: key)?.type == .string {
                addText(text, key: key, element: element)
                return
            }
            switch NumericText.parse(text) {
            case .number(let number):
                addNumber(number, key: key, element: element)
            case .nonFinite:
                refusals.append(MappingRefusal(.nonFinite, field: key, element: element))
            case .text:
                switch stringPolicy {
                case .declared: stringsLeftOut.append(key)
                case .field: addText(text, key: key, element: element)
                case .drop: skipped += 1
                case .tag: addTag(key: key, value, element: element)
                }
            }
        case .null, .array, .object:
            skipped += 1
        }
    }

    private mutating func addText(_ text: String, key: String, element: Int?) {
        guard text.utf8.count <= maxStringBytes else {
            refusals.append(MappingRefusal(.stringTooLong, field: key, element: element))
            return
        }
        fields.append(PendingField(key: key, value: .string(text)))
    }

    private mutating func addNumber(_ number: JSONNumber, key: String, element: Int?) {
        guard number.double.isFinite else {
            refusals.append(MappingRefusal(.nonFinite, field: key, element: element))
            return
        }
        fields.append(PendingField(key: key, value: .number(number)))
    }

    /// Keys InfluxDB drops a point for (1.x: "invalid field name" / "invalid tag key" for `time`;
    /// 2.x also reserves `_measurement` and `_field`): refused here, one value at a time, so that
    /// the server never answers a partial write the writer cannot tie to a line.
    static let reservedKeys: Set<String> = ["time", "_measurement", "_field"]

    /// Whether `key` may be a field or tag key: within `max_key_bytes` (refused, named by its
    /// first bytes, when not) and not reserved by InfluxDB (refused as `reserved_key`).
    private mutating func acceptsKey(_ key: String, element: Int?) -> Bool {
        if Self.reservedKeys.contains(key) {
            refusals.append(MappingRefusal(.reservedKey, field: key, element: element))
            return false
        }
        guard key.utf8.count > maxKeyBytes else { return true }
        refusals.append(
            MappingRefusal(
                .keyTooLong,
                field: String(decoding: key.utf8.prefix(maxKeyBytes), as: UTF8.self),
                element: element
            )
        )
        return false
    }

    /// Adds a tag from the payload (`metadata`, `type`, strings under `string_policy: tag`).
    private mutating func addTag(key rawKey: String, _ value: JSONValue, element: Int?) {
        let key = LineProtocolWriter.sanitizedFieldKey(rawKey)
        let text: String
        switch value {
        case .string(let string): text = string
        case .number(let number) where number.double.isFinite:
            text = Self.text(of: number)
        case .bool(let flag): text = flag ? "true" : "false"
        default:
            skipped += 1
            return
        }
        guard !key.isEmpty, !text.isEmpty else {
            skipped += 1
            return
        }
        guard acceptsKey(key, element: element) else { return }
        guard text.utf8.count <= maxStringBytes else {
            refusals.append(MappingRefusal(.stringTooLong, field: key, element: element))
            return
        }
        payloadTags.append(DeviceRegistry.Tag(key: key, value: text))
    }

    // MARK: - Writing

    /// Writes the measurement, the tags (topic, then registry, then payload; the first of a key wins)
    /// and the collected fields (the last of a key wins; a key taken by a tag is skipped), each
    /// settled against the type registry.
    mutating func writePoint(
        timestamp: Int64,
        element: Int?,
        context: PointContext,
        into writer: inout LineProtocolWriter
    ) -> PointOutcome {
        tagKeys.removeAll(keepingCapacity: true)
        writer.beginPoint(measurement: context.measurement.utf8)
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
        guard payloadTags.count <= maxFields else {
            writer.cancelPoint()
            return .refused(.tooManyFields)
        }
        for tag in payloadTags {
            if tagKeys.contains(tag.key) {
                skipped += 1
                continue
            }
            writer.appendTag(key: tag.key.utf8, value: tag.value.utf8)
            tagKeys.append(tag.key)
        }
        // Count first, so a point that is refused as a whole records no field types.
        var count = 0
        markShadowed()
        for index in fields.indices where !shadowed[index] && !tagKeys.contains(fields[index].key) { count += 1 }
        guard count <= maxFields else {
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

    /// The field's type as declared (`field_types`), else as the registry knows it (the schema,
    /// then the data under `string_policy: field`); nil when neither says.
    func knownType(of key: String) -> (type: StoredFieldType, authoritative: Bool)? {
        if !overrides.isEmpty, let declared = overrides[key] { return (declared, true) }
        guard !registry.isEmpty, let known = registry.type(measurement: measurementKey, field: key) else { return nil }
        return (known.type, known.source == .schema)
    }

    /// The value as the field's type: declared, else from the schema, else from the data (a number,
    /// or a boolean, is a float; under `string_policy: field` the first type seen is recorded and
    /// wins). Refuses what the type cannot take without loss (`type_conflict`).
    private mutating func settle(_ field: PendingField) -> Result<FieldValue, Refusal> {
        let type: StoredFieldType
        let authoritative: Bool
        if let known = knownType(of: field.key) {
            (type, authoritative) = known
        } else {
            authoritative = false
            switch (field.value, stringPolicy) {
            case (.bool, .field): type = .boolean
            case (.number, _), (.bool, _): type = .float
            case (.string, _): type = .string
            }
            // Only the old rule remembers the data's types; otherwise the data only ever gives float.
            if stringPolicy == .field && !registry.learn(type, measurement: measurementKey, field: field.key) {
                return .failure(Refusal(.typeRegistryFull))
            }
        }
        guard let value = Self.convert(field.value, to: type, numbersAsText: authoritative) else {
            return .failure(Refusal(.typeConflict))
        }
        return .success(value)
    }

    /// `value` as `type` when that loses nothing: a float takes numbers and booleans (1.0 / 0.0);
    /// integer and unsigned take whole numbers only (up to 2^53 from a double); boolean takes
    /// booleans; string takes text, and numbers and booleans as their text when `numbersAsText`
    /// (a declaration or the schema typed the field, so the text is what the operator wants).
    static func convert(_ value: Candidate, to type: StoredFieldType, numbersAsText: Bool) -> FieldValue? {
        switch (value, type) {
        case (.number(let number), .float):
            return .float(number.double)
        case (.bool(let flag), .float):
            return .float(flag ? 1 : 0)
        case (.number(let number), .integer):
            return exactInteger(number).map { .integer($0) }
        case (.number(let number), .unsigned):
            return exactInteger(number).flatMap { $0 >= 0 ? .unsigned(UInt64($0)) : nil }
        case (.bool(let flag), .boolean):
            return .boolean(flag)
        case (.string(let text), .string):
            return .string(text)
        case (.number(let number), .string) where numbersAsText:
            return .string(text(of: number))
        case (.bool(let flag), .string) where numbersAsText:
            return .string(flag ? "true" : "false")
        default:
            return nil
        }
    }

    /// A finite number as text: its exact integer, else the shortest double that reads back the same.
    private static func text(of number: JSONNumber) -> String {
        number.exactInteger.map { String($0) } ?? number.double.description
    }

    private static func exactInteger(_ number: JSONNumber) -> Int64? {
        if let exact = number.exactInteger { return exact }
        let double = number.double
        guard double.rounded(.towardZero) == double, abs(double) <= 9_007_199_254_740_992 else { return nil }
        return Int64(double)
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

/// A refusal reason as an error, for `Result`.
struct Refusal: Error {
    var reason: RefusalReason
    init(_ reason: RefusalReason) { self.reason = reason }
}
