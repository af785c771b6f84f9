// iotflow-bridge: the type of each (measurement, field) as InfluxDB holds it, or as the data first
// gave it under `string_policy: field`, so values are converted to it or refused, never sent as a
// type InfluxDB would reject.
// SPDX-License-Identifier: Apache-2.0

/// A line-protocol field type, as InfluxDB fixes it on a field's first write. The raw values are
/// InfluxQL's `fieldType` names and the `mapping.field_types` spellings.
public enum StoredFieldType: String, CaseIterable, Sendable {
    /// `1.5`: numbers, booleans as 1.0 / 0.0, numeric text.
    case float
    /// `1i`: whole numbers only.
    case integer
    /// `1u`: whole numbers from 0 only; InfluxDB 1.x rejects these.
    case unsigned
    /// `"text"`: text, and (when declared or in the schema) numbers and booleans as their text.
    case string
    /// `true`: JSON booleans only.
    case boolean
}

/// The field types the mapper knows besides `mapping.field_types`: the schema InfluxDB holds
/// (replaced whole on every read), and, under `string_policy: field` only, the first type the
/// data gave each field the schema does not name. The schema wins over the data.
///
/// Lives inside one `PointMapper`, so it is confined to the MQTT thread like the mapper: no lock.
/// Bounded: the schema holds at most `capacity` entries (`FieldSchema` stops there), and a type
/// is learned from the data only while schema and learned entries together are below `capacity`;
/// a new field beyond that is refused (`type_registry_full`) rather than written untracked.
struct FieldTypeRegistry: Sendable {
    /// Where a known type came from.
    enum Source: Equatable {
        /// The schema read from InfluxDB.
        case schema
        /// The first value of the field the bridge mapped (`string_policy: field`).
        case data
    }

    private(set) var schema = FieldSchema()
    /// measurement → field → type, learned from the data.
    private var learned: [String: [String: StoredFieldType]] = [:]
    private var learnedCount = 0
    /// The most entries kept.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The number of (measurement, field) types known.
    var count: Int { schema.count + learnedCount }

    /// Whether no type is known (then lookups can be skipped).
    var isEmpty: Bool { count == 0 }

    /// The type known for the field and where it came from; the schema's wins.
    func type(measurement: String, field: String) -> (type: StoredFieldType, source: Source)? {
        if let type = schema.type(measurement: measurement, field: field) { return (type, .schema) }
        if let type = learned[measurement]?[field] { return (type, .data) }
        return nil
    }

    /// Replaces the schema with a newer read. Learned types stay: the schema wins over them.
    mutating func replaceSchema(_ newer: FieldSchema) {
        schema = newer
    }

    /// Records the type the data gave a field; false when the registry is full.
    mutating func learn(_ type: StoredFieldType, measurement: String, field: String) -> Bool {
        guard count < capacity else { return false }
        learned[measurement, default: [:]][field] = type
        learnedCount += 1
        return true
    }
}
