// iotflow-bridge: one MQTT message to line-protocol points.
// SPDX-License-Identifier: Apache-2.0

/// The result of mapping one message.
public enum MappingResult: Equatable, Sendable {
    /// Points were appended; `skippedFields` counts values that could not be fields
    /// (strings, nulls, nested values, non-finite numbers).
    case mapped(points: Int, skippedFields: Int)
    /// Nothing was appended.
    case refused(RefusalReason)
}

/// Maps a topic and JSON payload to line-protocol points.
///
/// - The topic template gives the measurement and tags (`device_id` by default).
/// - A JSON object gives one point: every number becomes a float field (so `50` then `50.5`
///   never conflict), booleans stay booleans; strings, nulls, arrays and nested objects are
///   skipped and counted. A key listed in `timestamp_keys` gives the point's time (RFC 3339
///   text or an epoch number in s/ms/µs/ns); if a key appears twice the last value wins.
/// - A bare number or boolean gives one point with field `value`.
/// - Without a device timestamp the point gets `receivedAt`, the intake time, fixed once per
///   message so a redelivered message encodes to the same bytes and overwrites itself.
///
/// A value type with no shared state; the scratch `match` makes it cheap to call per message
/// on one thread. Nothing it refuses reaches the writer.
public struct PointMapper: Sendable {
    /// The most fields one point may carry.
    public static let maxFieldsPerPoint = 256

    private let template: TopicTemplate
    private let timestampKeys: [String]
    private let maxPayloadBytes: Int
    private let parser = JSONParser(maxDepth: 16)
    private var match = TopicTemplate.Match()

    /// A mapper for a validated configuration (`BridgeConfiguration.validate()` checks the template).
    public init(configuration: MappingConfiguration) {
        guard case .success(let template) = TopicTemplate.parse(configuration.topicTemplate) else {
            preconditionFailure("mapping.topic_template must be validated before a mapper is made")
        }
        self.template = template
        self.timestampKeys = configuration.timestampKeys
        self.maxPayloadBytes = configuration.maxPayloadBytes
    }

    /// Maps one message, appending its points to `writer`.
    ///
    /// - Parameter receivedAt: intake time in nanoseconds since the epoch.
    public mutating func map(
        topic: UnsafeRawBufferPointer,
        payload: UnsafeRawBufferPointer,
        receivedAt: Int64,
        into writer: inout LineProtocolWriter
    ) -> MappingResult {
        if let mismatch = template.match(topic, into: &match) {
            return .refused(mismatch == .shape ? .topicMismatch : .invalidTopicLevel)
        }
        guard payload.count <= maxPayloadBytes else { return .refused(.payloadTooLarge) }
        let document: JSONValue
        do {
            document = try parser.parse(payload)
        } catch {
            switch error {
            case .malformed: return .refused(.malformedJSON)
            case .invalidUTF8: return .refused(.invalidUTF8)
            case .tooDeep: return .refused(.tooDeep)
            }
        }
        switch document {
        case .object(let members):
            return mapObject(members, topic: topic, receivedAt: receivedAt, into: &writer)
        case .number(let number):
            guard number.double.isFinite else { return .refused(.noFields) }
            return writePoint(topic: topic, timestamp: receivedAt, into: &writer) { writer in
                writer.appendField(key: "value".utf8, value: .float(number.double))
            }
        case .bool(let flag):
            return writePoint(topic: topic, timestamp: receivedAt, into: &writer) { writer in
                writer.appendField(key: "value".utf8, value: .boolean(flag))
            }
        case .string, .array, .null:
            return .refused(.unsupportedPayload)
        }
    }

    private func mapObject(
        _ members: [(key: String, value: JSONValue)],
        topic: UnsafeRawBufferPointer,
        receivedAt: Int64,
        into writer: inout LineProtocolWriter
    ) -> MappingResult {
        guard members.count <= Self.maxFieldsPerPoint else { return .refused(.tooManyFields) }
        var timestamp = receivedAt
        if let member = members.last(where: { timestampKeys.contains($0.key) }) {
            guard let deviceTime = Self.timestamp(member.value) else { return .refused(.invalidTimestamp) }
            timestamp = deviceTime
        }
        // Keys as they will be written: distinct JSON keys can become one line-protocol key
        // (`"a\n"` and `"a\t"` are both `a_`), and a duplicate field is refused by some servers.
        let keys = members.map { LineProtocolWriter.sanitizedFieldKey($0.key) }
        var skipped = 0
        let result = writePoint(topic: topic, timestamp: timestamp, into: &writer) { writer in
            for (index, member) in members.enumerated() {
                let key = keys[index]
                guard !timestampKeys.contains(member.key), !key.isEmpty else { continue }
                // The last of duplicate keys wins, as in most JSON readers.
                guard !keys[(index + 1)...].contains(key) else { continue }
                // A payload key never shadows a tag from the topic (`device_id` stays the topic's).
                guard !match.tags.contains(where: { $0.key == key }) else {
                    skipped += 1
                    continue
                }
                switch member.value {
                case .number(let number) where number.double.isFinite:
                    writer.appendField(key: key.utf8, value: .float(number.double))
                case .bool(let flag):
                    writer.appendField(key: key.utf8, value: .boolean(flag))
                case .number, .string, .null, .array, .object:
                    skipped += 1
                }
            }
        }
        guard case .mapped(let points, _) = result else { return result }
        return .mapped(points: points, skippedFields: skipped)
    }

    /// Writes the measurement and tags from the last topic match, lets `fields` add fields,
    /// and ends the point; if no field was added the point is removed and refused.
    private func writePoint(
        topic: UnsafeRawBufferPointer,
        timestamp: Int64,
        into writer: inout LineProtocolWriter,
        fields: (inout LineProtocolWriter) -> Void
    ) -> MappingResult {
        writer.beginPoint(measurement: topic[match.measurement])
        for tag in match.tags {
            writer.appendTag(key: tag.key.utf8, value: topic[tag.value])
        }
        fields(&writer)
        guard writer.fieldsInPoint > 0 else {
            writer.cancelPoint()
            return .refused(.noFields)
        }
        writer.endPoint(timestampNanoseconds: timestamp)
        return .mapped(points: 1, skippedFields: 0)
    }

    /// A device timestamp: an epoch number, or RFC 3339 text, or an epoch number as text.
    static func timestamp(_ value: JSONValue) -> Int64? {
        switch value {
        case .number(let number):
            return Timestamp.nanoseconds(epoch: number)
        case .string(let text):
            if let nanoseconds = Timestamp.nanoseconds(rfc3339: text) { return nanoseconds }
            guard let number = try? JSONParser().parse(Array(text.utf8)), case .number(let epoch) = number else {
                return nil
            }
            return Timestamp.nanoseconds(epoch: epoch)
        default:
            return nil
        }
    }
}
