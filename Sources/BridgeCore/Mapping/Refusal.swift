// iotflow-bridge: why a message was not turned into points.
// SPDX-License-Identifier: Apache-2.0

/// Why a message, an element of an array payload or a single value was refused. Each reason has
/// its own counter; a message with refusals makes one log line (rate-limited per device) and one
/// dead-letter record listing them.
public enum RefusalReason: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// The topic does not fit the topic template.
    case topicMismatch
    /// A measurement or tag level is empty, too long or not UTF-8; or, under `mapping.topic_tag`,
    /// the topic is not UTF-8.
    case invalidTopicLevel
    /// The payload is larger than `mapping.max_payload_bytes`.
    case payloadTooLarge
    /// The payload is not JSON.
    case malformedJSON
    /// A JSON string is not valid UTF-8.
    case invalidUTF8
    /// Objects or arrays nest too deeply.
    case tooDeep
    /// The payload is JSON the mapping does not take: `null`, or an array element that is not an
    /// object.
    case unsupportedPayload
    /// Nothing in the payload could be a field.
    case noFields
    /// The timestamp is not RFC 3339 or an epoch number, or is outside 1677–2262.
    case invalidTimestamp
    /// More fields than a point may carry.
    case tooManyFields
    /// The topic's `device_id` level is longer than 128 bytes or holds a control character.
    case invalidDeviceID
    /// The device timestamp is outside `max_past` / `max_future` and the policy is `reject`.
    case timestampOutOfRange
    /// A value cannot be stored as the field's type (declared, from InfluxDB's schema, or under
    /// `string_policy: field` the first written) without loss: `1.5` for an integer field, a number
    /// for a boolean field.
    case typeConflict
    /// A number that line protocol cannot carry: `1e999`, `"NaN"`, `"inf"`.
    case nonFinite
    /// A field or tag key longer than `mapping.max_key_bytes`.
    case keyTooLong
    /// A string longer than `mapping.max_string_bytes`.
    case stringTooLong
    /// Under `string_policy: field`, a new (measurement, field) while the type registry holds
    /// `mapping.max_field_types` already.
    case typeRegistryFull
    /// An array payload with more elements than `mapping.max_points_per_message`.
    case tooManyPoints
    /// The message's points would take more than `mapping.max_encoded_bytes` of line protocol.
    case encodedTooLarge
    /// A field or tag key InfluxDB reserves (`time`, `_measurement`, `_field`).
    case reservedKey

    /// The metric label and log value: `malformed_json`, `no_fields`, …
    public var description: String {
        switch self {
        case .topicMismatch: "topic_mismatch"
        case .invalidTopicLevel: "invalid_topic_level"
        case .payloadTooLarge: "payload_too_large"
        case .malformedJSON: "malformed_json"
        case .invalidUTF8: "invalid_utf8"
        case .tooDeep: "too_deep"
        case .unsupportedPayload: "unsupported_payload"
        case .noFields: "no_fields"
        case .invalidTimestamp: "invalid_timestamp"
        case .tooManyFields: "too_many_fields"
        case .invalidDeviceID: "invalid_device_id"
        case .timestampOutOfRange: "timestamp_out_of_range"
        case .typeConflict: "type_conflict"
        case .nonFinite: "non_finite"
        case .keyTooLong: "key_too_long"
        case .stringTooLong: "string_too_long"
        case .typeRegistryFull: "type_registry_full"
        case .tooManyPoints: "too_many_points"
        case .encodedTooLarge: "encoded_too_large"
        case .reservedKey: "reserved_key"
        }
    }
}

/// One part of a message that was refused while the rest was mapped: a value (`field` set), or an
/// element of an array payload (`element` set), or both.
public struct MappingRefusal: Equatable, Sendable {
    /// Why.
    public var reason: RefusalReason
    /// The field key (after flattening), when a single value was refused.
    public var field: String?
    /// The index in an array payload, when the message was an array.
    public var element: Int?

    /// A refusal of a value or element.
    public init(_ reason: RefusalReason, field: String? = nil, element: Int? = nil) {
        self.reason = reason
        self.field = field
        self.element = element
    }
}

/// A refusal reason as an error, for `Result`.
struct Refusal: Error {
    var reason: RefusalReason
    init(_ reason: RefusalReason) { self.reason = reason }
}
