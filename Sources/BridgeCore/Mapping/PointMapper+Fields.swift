// iotflow-bridge: the fields and tags one JSON object gives a point: flattened, keys checked, values bounded.
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
    /// Adds the members as fields, nested objects flattened with `_`; refuses the point when they
    /// nest deeper than `max_depth`.
    mutating func collect(
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
    mutating func addTag(key rawKey: String, _ value: JSONValue, element: Int?) {
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
}
