// iotflow-bridge: one MQTT message to line-protocol points.
// SPDX-License-Identifier: Apache-2.0

/// The result of mapping one message.
public enum MappingResult: Equatable, Sendable {
    /// Points were appended; `skippedFields` counts values that are not data for a field (nulls,
    /// arrays, strings under `string_policy: drop`, keys taken by a tag). Parts that were refused
    /// are in `PointMapper.refusals`; untyped text left out is in `PointMapper.stringsLeftOut`.
    case mapped(points: Int, skippedFields: Int)
    /// Nothing was appended. When `PointMapper.refusals` is not empty it says which values or
    /// elements were refused (and `reason` is the first of them); otherwise the whole message was.
    case refused(RefusalReason)
}

/// Maps a topic and JSON payload to line-protocol points.
///
/// - The first of `routes` whose template matches the topic gives the measurement (or fixes it)
///   and the tags (`device_id` by default); the topic's `device_id` is at most 128 bytes without
///   control characters. Device registry tags follow, then tags from the payload.
/// - Payload shapes: an object is one point, nested objects flattened with `_` (`env.t` → `env_t`);
///   the IoTFlow HTTP shape `{"data": {...}, "type": ..., "metadata": {...}}` takes fields from
///   `data`, tags from `metadata` and `type` (as `device_type`); an array of objects is one point
///   per element, each with its own timestamp; a bare number, boolean or string is field `value`.
/// - Types: the type of a (measurement, field) comes from `field_types` (by field name) first,
///   then from the schema InfluxDB holds (`useSchema`), and only then from the data, where a
///   number always wins: numbers and numeric strings (`" 23.5 "`) are floats, and under the
///   default `string_policy: declared` booleans are 1.0 / 0.0 and other text is left out, so one
///   device's value never types another's. Values are converted to the field's type where that
///   loses nothing (`convert`) and refused otherwise (`type_conflict`), so InfluxDB never rejects
///   a batch for a type conflict the bridge could see. `string_policy: field` keeps the first
///   type seen in the data instead (the old rule), `drop` and `tag` treat text as they say.
/// - Time: the last key of `timestamp_keys` present (RFC 3339 or epoch s/ms/µs/ns); outside
///   `max_past`/`max_future` the `timestamp_policy` applies. Without one a point gets `receivedAt`
///   (plus its index in an array, so the elements stay distinct points).
///
/// Refusals of a single value or array element are listed in `refusals`; the rest of the message is
/// still mapped. A value type confined to one thread (the MQTT thread): its scratch storage and
/// type registry make it cheap to call per message, with no lock.
public struct PointMapper: Sendable {
    /// The longest `device_id` topic level, in bytes.
    public static let maxDeviceIDBytes = 128

    let routes: [Route]
    let timestampKeys: [String]
    let maxPayloadBytes: Int
    let maxFields: Int
    let maxDepth: Int
    let maxKeyBytes: Int
    let maxStringBytes: Int
    let maxPointsPerMessage: Int
    let maxEncodedBytes: Int
    let stringPolicy: MappingConfiguration.StringPolicy
    let timestampPolicy: MappingConfiguration.TimestampPolicy
    let maxPastNanoseconds: Int64
    let maxFutureNanoseconds: Int64
    let overrides: [String: MappingConfiguration.FieldType]
    let topicTag: Bool
    let parser: JSONParser
    var registry: FieldTypeRegistry
    var match = TopicTemplate.Match()
    /// Whether `match` holds the levels of the last message's topic (a failed match leaves debris).
    var matched = false

    /// Tags per device; the intake replaces it when the registry file is reloaded.
    public var deviceRegistry: DeviceRegistry
    /// The values and elements refused by the last `map` call.
    public internal(set) var refusals: [MappingRefusal] = []
    /// Points of the last `map` call whose device time was out of range and replaced by the intake time.
    public internal(set) var timestampsReplaced = 0
    /// The fields whose non-numeric text the last `map` call left out under `string_policy:
    /// declared`, because no declaration or schema makes them strings (one entry per value).
    public internal(set) var stringsLeftOut: [String] = []

    // Scratch storage, reused from message to message.
    var fields: [PendingField] = []
    var payloadTags: [DeviceRegistry.Tag] = []
    var tagKeys: [String] = []
    var shadowed: [Bool] = []
    var skipped = 0
    /// `refusals.count` when the current point began: refusals after it belong to this point.
    var pointRefusalsStart = 0
    /// The measurement of the current message as InfluxDB stores it: the registry's key.
    var measurementKey = ""

    /// A mapper for a validated configuration (`BridgeConfiguration.validate()` checks routes and types).
    public init(configuration: MappingConfiguration, deviceRegistry: DeviceRegistry = DeviceRegistry()) {
        guard case .success(let routes) = configuration.parsedRoutes(),
            case .success(let overrides) = configuration.parsedFieldTypes()
        else { preconditionFailure("mapping.routes and mapping.field_types must be validated before a mapper is made") }
        self.routes = routes
        self.overrides = overrides
        self.timestampKeys = configuration.timestampKeys
        self.maxPayloadBytes = configuration.maxPayloadBytes
        self.maxFields = configuration.maxFields
        self.maxDepth = configuration.maxDepth
        self.maxKeyBytes = configuration.maxKeyBytes
        self.maxStringBytes = configuration.maxStringBytes
        self.maxPointsPerMessage = configuration.maxPointsPerMessage
        self.maxEncodedBytes = configuration.maxEncodedBytes
        self.stringPolicy = configuration.stringPolicy
        self.timestampPolicy = configuration.timestampPolicy
        self.maxPastNanoseconds = Self.nanoseconds(configuration.maxPast)
        self.maxFutureNanoseconds = Self.nanoseconds(configuration.maxFuture)
        self.topicTag = configuration.topicTag
        // One level more than a point may nest, for the array around a burst of readings.
        self.parser = JSONParser(maxDepth: configuration.maxDepth + 1)
        self.registry = FieldTypeRegistry(capacity: configuration.maxFieldTypes)
        self.deviceRegistry = deviceRegistry
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, overflow) = duration.components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? Int64.max : seconds
    }

    /// The number of (measurement, field) types the registry remembers.
    public var knownFieldTypes: Int { registry.count }

    /// Types fields from `schema` (a newer read of InfluxDB's schema) from the next message on;
    /// declarations still win over it, and it wins over what the data taught the registry.
    public mutating func useSchema(_ schema: FieldSchema) {
        registry.replaceSchema(schema)
    }

    /// Maps one message, appending its points to `writer`; afterwards `refusals` lists the values
    /// and elements refused, and `timestampsReplaced` the points that got the intake time.
    ///
    /// What one message can cost is bounded by the configuration, never by the payload: at most
    /// `max_points_per_message` points and `max_encoded_bytes` bytes appended (a message that
    /// would go past either appends nothing and is refused whole), and at most one refusal per
    /// value or element of a payload of at most `max_payload_bytes`.
    ///
    /// - Parameter receivedAt: intake time in nanoseconds since the epoch.
    public mutating func map(
        topic: UnsafeRawBufferPointer,
        payload: UnsafeRawBufferPointer,
        receivedAt: Int64,
        into writer: inout LineProtocolWriter
    ) -> MappingResult {
        let start = (points: writer.pointCount, bytes: writer.bytes.count)
        let result = mapMessage(topic: topic, payload: payload, receivedAt: receivedAt, into: &writer)
        guard case .mapped = result, writer.bytes.count - start.bytes > maxEncodedBytes else { return result }
        return refuseWhole(.encodedTooLarge, from: start.points, in: &writer)
    }

    /// Takes back every point the message appended and refuses it whole with `reason`.
    private mutating func refuseWhole(
        _ reason: RefusalReason,
        from point: Int,
        in writer: inout LineProtocolWriter
    ) -> MappingResult {
        writer.removePoints(from: point)
        refusals.removeAll(keepingCapacity: true)
        timestampsReplaced = 0
        return .refused(reason)
    }

    private mutating func mapMessage(
        topic: UnsafeRawBufferPointer,
        payload: UnsafeRawBufferPointer,
        receivedAt: Int64,
        into writer: inout LineProtocolWriter
    ) -> MappingResult {
        refusals.removeAll(keepingCapacity: true)
        timestampsReplaced = 0
        stringsLeftOut.removeAll(keepingCapacity: true)
        skipped = 0
        let (matched, mismatch) = matchRoute(topic)
        guard let route = matched else { return .refused(mismatch) }
        if let reason = checkTopic(topic) { return .refused(reason) }
        guard payload.count <= maxPayloadBytes else { return .refused(.payloadTooLarge) }
        let document: JSONValue
        switch parse(payload) {
        case .success(let parsed): document = parsed
        case .failure(let refusal): return .refused(refusal.reason)
        }
        var context = PointContext(topic: topic, route: route, measurement: measurementName(topic, route))
        context.deviceTags = deviceTags(topic)
        measurementKey = LineProtocolWriter.storedMeasurement(context.measurement)
        switch document {
        case .object(let members):
            let outcome = mapPoint(members, element: nil, receivedAt: receivedAt, context: context, into: &writer)
            return singlePointResult(outcome)
        case .array(let elements):
            return mapReadings(elements, receivedAt: receivedAt, context: context, into: &writer)
        case .number, .bool, .string:
            fields.removeAll(keepingCapacity: true)
            payloadTags.removeAll(keepingCapacity: true)
            pointRefusalsStart = 0
            addValue(document, key: "value", element: nil)
            return singlePointResult(writePoint(timestamp: receivedAt, element: nil, context: context, into: &writer))
        case .null:
            return .refused(.unsupportedPayload)
        }
    }

    /// The payload as JSON, or the refusal for what the parser found wrong with it.
    private func parse(_ payload: UnsafeRawBufferPointer) -> Result<JSONValue, Refusal> {
        do {
            return .success(try parser.parse(payload))
        } catch {
            switch error {
            case .malformed: return .failure(Refusal(.malformedJSON))
            case .invalidUTF8: return .failure(Refusal(.invalidUTF8))
            case .tooDeep: return .failure(Refusal(.tooDeep))
            }
        }
    }

    /// An array payload, a burst of readings: one point per object element; other elements are
    /// refused one by one (`unsupported_payload`), and so are points refused as a whole.
    private mutating func mapReadings(
        _ elements: [JSONValue],
        receivedAt: Int64,
        context: PointContext,
        into writer: inout LineProtocolWriter
    ) -> MappingResult {
        guard !elements.isEmpty else { return .refused(.noFields) }
        guard elements.count <= maxPointsPerMessage else { return .refused(.tooManyPoints) }
        let start = (points: writer.pointCount, bytes: writer.bytes.count)
        var points = 0
        for (index, element) in elements.enumerated() {
            // Stop as soon as the bound is passed, so memory stays bounded too.
            guard writer.bytes.count - start.bytes <= maxEncodedBytes else {
                return refuseWhole(.encodedTooLarge, from: start.points, in: &writer)
            }
            guard case .object(let members) = element else {
                refusals.append(MappingRefusal(.unsupportedPayload, element: index))
                continue
            }
            switch mapPoint(members, element: index, receivedAt: receivedAt, context: context, into: &writer) {
            case .written: points += 1
            case .refused(let reason):
                discardPointRefusals()
                refusals.append(MappingRefusal(reason, element: index))
            case .emptied: break
            }
        }
        if points > 0 { return .mapped(points: points, skippedFields: skipped) }
        return .refused(refusals.first?.reason ?? .noFields)
    }

    /// The result of a message that is one point (an object or a bare value).
    private mutating func singlePointResult(_ outcome: PointOutcome) -> MappingResult {
        switch outcome {
        case .written: return .mapped(points: 1, skippedFields: skipped)
        case .refused(let reason):
            discardPointRefusals()
            return .refused(reason)
        case .emptied: return .refused(refusals.first?.reason ?? .noFields)
        }
    }

    /// Forgets the values refused in a point that is then refused as a whole: one record, with the
    /// reason that stopped the point, says what happened.
    private mutating func discardPointRefusals() {
        refusals.removeSubrange(pointRefusalsStart...)
    }
}

/// What every point of one message shares.
struct PointContext {
    let topic: UnsafeRawBufferPointer
    let route: Route
    /// The measurement as written (before escaping).
    let measurement: String
    /// Tags from the device registry for this message's device.
    var deviceTags: [DeviceRegistry.Tag] = []

    init(topic: UnsafeRawBufferPointer, route: Route, measurement: String) {
        self.topic = topic
        self.route = route
        self.measurement = measurement
    }
}

/// How mapping one point went.
enum PointOutcome: Equatable {
    /// The point was appended.
    case written
    /// The point was refused as a whole.
    case refused(RefusalReason)
    /// Every field was refused on its own (listed in `refusals`), so no point was written.
    case emptied
}
