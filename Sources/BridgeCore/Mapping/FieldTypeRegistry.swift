// iotflow-bridge: the type each (measurement, field) was first written with, so later values
// are coerced to it or refused, and InfluxDB never sees a field-type conflict from the bridge.
// SPDX-License-Identifier: Apache-2.0

/// A line-protocol field type, as InfluxDB fixes it on a field's first write.
public enum StoredFieldType: Sendable {
    /// `1.5`
    case float
    /// `1i`
    case integer
    /// `1u`
    case unsigned
    /// `true`
    case boolean
    /// `"text"`
    case string
}

/// Remembers the first type written for each (measurement, field), up to `capacity` entries.
///
/// Lives inside one `PointMapper`, so it is confined to the MQTT thread like the mapper: no lock.
/// Bounded so that a fleet inventing field names cannot grow it without limit; a new field beyond
/// the bound is refused (`type_registry_full`) rather than written untracked.
struct FieldTypeRegistry: Sendable {
    private struct Key: Hashable {
        var measurement: String
        var field: String
    }

    private var types: [Key: StoredFieldType] = [:]
    /// The most entries kept.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The number of (measurement, field) pairs known.
    var count: Int { types.count }

    /// The type recorded for the field, if any.
    func type(measurement: String, field: String) -> StoredFieldType? {
        types[Key(measurement: measurement, field: field)]
    }

    /// Records the field's type; false when the registry is full.
    mutating func record(_ type: StoredFieldType, measurement: String, field: String) -> Bool {
        guard types.count < capacity else { return false }
        types[Key(measurement: measurement, field: field)] = type
        return true
    }
}
