// iotflow-bridge: the field types the mapper knows besides declarations: the schema, and what the data taught.
// SPDX-License-Identifier: Apache-2.0

import Testing

@testable import BridgeCore

/// What the registry knows of field `f` of measurement `m`, as "type from source".
private func known(_ registry: FieldTypeRegistry, measurement: String = "m", field: String = "f") -> String? {
    registry.type(measurement: measurement, field: field).map { "\($0.type) from \($0.source)" }
}

@Suite struct FieldTypeRegistryTests {
    @Test func theSchemaWinsOverWhatTheDataTaughtAndAReplacedSchemaKeepsTheLearnedTypes() {
        var registry = FieldTypeRegistry(capacity: 10)
        #expect(registry.isEmpty && known(registry) == nil)
        let learned = registry.learn(.string, measurement: "m", field: "f")
        #expect(learned)
        #expect(known(registry) == "string from data")
        #expect(known(registry, measurement: "other") == nil, "types are per measurement")
        var schema = FieldSchema()
        schema.add(.float, measurement: "m", field: "f")
        registry.replaceSchema(schema)
        #expect(known(registry) == "float from schema")
        registry.replaceSchema(FieldSchema())
        #expect(known(registry) == "string from data")
    }

    @Test func learnsOnlyWhileSchemaAndLearnedTypesTogetherAreBelowCapacity() {
        var registry = FieldTypeRegistry(capacity: 3)
        var schema = FieldSchema()
        schema.add(.integer, measurement: "m", field: "a")
        schema.add(.integer, measurement: "m", field: "b")
        registry.replaceSchema(schema)
        let belowCapacity = registry.learn(.float, measurement: "m", field: "c")
        #expect(belowCapacity)
        #expect(registry.count == 3)
        let full = registry.learn(.float, measurement: "m", field: "d")
        #expect(!full, "full: the new field is refused")
        #expect(known(registry, field: "d") == nil && registry.count == 3)
    }
}
