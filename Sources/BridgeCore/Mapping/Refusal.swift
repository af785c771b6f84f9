// iotflow-bridge: why a message was not turned into points.
// SPDX-License-Identifier: Apache-2.0

/// Why a message produced no points. Each reason has its own counter and log line.
public enum RefusalReason: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// The topic does not fit the topic template.
    case topicMismatch
    /// A measurement or tag level is empty or too long.
    case invalidTopicLevel
    /// The payload is larger than `mapping.max_payload_bytes`.
    case payloadTooLarge
    /// The payload is not JSON.
    case malformedJSON
    /// A JSON string is not valid UTF-8.
    case invalidUTF8
    /// Objects or arrays nest too deeply.
    case tooDeep
    /// The payload is JSON of a shape the mapping does not take (string, array, null).
    case unsupportedPayload
    /// Nothing in the payload could be a field.
    case noFields
    /// The timestamp is not RFC 3339 or an epoch number, or is outside 1677–2262.
    case invalidTimestamp
    /// More fields than a point may carry.
    case tooManyFields

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
        }
    }
}
