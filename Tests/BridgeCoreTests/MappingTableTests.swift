// iotflow-bridge: the table of payload cases: topic + payload + configuration → exact line protocol.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import Testing

/// The intake time: 2024-01-01T12:30:00Z, half an hour after the seed example's device time.
let receivedAt: Int64 = 1_704_112_200_000_000_000
let defaultTopic = "iotflow/devices/dev-1/telemetry/environment"

/// A configuration the table runs a case under.
enum Variant: String, Sendable {
    case defaults, integerCount, unsignedCount, stringsDropped, stringsAsTags, rejectOutOfRange, keepOutOfRange
    case statusRoute, topicTag, registry, tightLimits, firstTypeWins, declared, schema

    var configuration: MappingConfiguration {
        var configuration = MappingConfiguration()
        switch self {
        case .defaults, .registry, .schema: break
        case .integerCount: configuration.fieldTypes = ["count:integer"]
        case .unsignedCount: configuration.fieldTypes = ["count:unsigned"]
        case .stringsDropped: configuration.stringPolicy = .drop
        case .stringsAsTags: configuration.stringPolicy = .tag
        case .rejectOutOfRange: configuration.timestampPolicy = .reject
        case .keepOutOfRange: configuration.timestampPolicy = .keep
        case .statusRoute: configuration.routes.append("iotflow/devices/{device_id}/status/{_} -> device_status")
        case .topicTag: configuration.topicTag = true
        case .firstTypeWins: configuration.stringPolicy = .field
        case .declared:
            configuration.fieldTypes = [
                "state:string", "msg:string", "path:string", "on:boolean", "level:float", "watts:integer",
            ]
        case .tightLimits:
            configuration.fieldTypes = ["s:string"]
            configuration.maxDepth = 2
            configuration.maxKeyBytes = 8
            configuration.maxStringBytes = 4
            configuration.maxFields = 2
            configuration.maxPayloadBytes = 48
        }
        return configuration
    }

    /// The field types InfluxDB holds, for `.schema`: in `environment`, `status` is a string,
    /// `count` an integer, `on` a boolean; in `power`, `status` is a float.
    var schema: FieldSchema? {
        guard self == .schema else { return nil }
        var schema = FieldSchema()
        schema.add(.string, measurement: "environment", field: "status")
        schema.add(.integer, measurement: "environment", field: "count")
        schema.add(.boolean, measurement: "environment", field: "on")
        schema.add(.float, measurement: "power", field: "status")
        return schema
    }

    var deviceRegistry: DeviceRegistry {
        guard self == .registry else { return DeviceRegistry() }
        return DeviceRegistry(devices: [
            "dev-1": [
                .init(key: "device_name", value: "Boiler room"), .init(key: "location", value: "basement"),
            ]
        ])
    }
}

/// One row: what the device sends, under which configuration, and exactly what comes out.
struct MappingCase: CustomTestStringConvertible, Sendable {
    var name: String
    var topic = defaultTopic
    var payload: String
    var variant = Variant.defaults
    /// Messages mapped first on the same mapper (same topic), to set up the type registry.
    var before: [String] = []
    /// The exact line protocol, or nil when the message is refused.
    var lines: String?
    /// The whole-message refusal reason, when `lines` is nil.
    var refused: RefusalReason?
    /// Values or elements refused on their own.
    var refusals: [MappingRefusal] = []
    var skipped = 0
    var replaced = 0
    /// Untyped text left out under `string_policy: declared`.
    var leftOut = 0

    var testDescription: String { name }

    init(
        _ name: String,
        topic: String = defaultTopic,
        _ payload: String,
        _ variant: Variant = .defaults,
        before: [String] = [],
        lines: String? = nil,
        refused: RefusalReason? = nil,
        refusals: [MappingRefusal] = [],
        skipped: Int = 0,
        replaced: Int = 0,
        leftOut: Int = 0
    ) {
        self.name = name
        self.topic = topic
        self.payload = payload
        self.variant = variant
        self.before = before
        self.lines = lines
        self.refused = refused
        self.refusals = refusals
        self.skipped = skipped
        self.replaced = replaced
        self.leftOut = leftOut
    }
}

/// A refusal of one value.
func field(_ reason: RefusalReason, _ key: String, element: Int? = nil) -> MappingRefusal {
    MappingRefusal(reason, field: key, element: element)
}

/// The start of every line for the default topic.
let env = "environment,device_id=dev-1"

/// The cases, one file per behaviour: `Mapping<Behaviour>Table.swift`.
enum MappingTable {
    // New cases go at the end: a case's index names its fuzzing seed (Fuzz/Seeds/table-NNN).
    static let cases: [MappingCase] = shapes + timestamps + types + routesAndTags + refusals + typeSources
}

/// Maps `payload` on `topic` with `mapper`, returning the result and the text written.
func mapMessage(
    _ mapper: inout PointMapper,
    topic: String,
    payload: String,
    receivedAt: Int64 = receivedAt
) -> (MappingResult, String) {
    var writer = LineProtocolWriter()
    let result = Array(topic.utf8).withUnsafeBytes { topicBytes in
        Array(payload.utf8).withUnsafeBytes { payloadBytes in
            mapper.map(topic: topicBytes, payload: payloadBytes, receivedAt: receivedAt, into: &writer)
        }
    }
    return (result, String(decoding: writer.bytes, as: UTF8.self))
}

@Suite struct MappingTableTests {
    @Test func tableCoversAtLeastSixtyCases() {
        #expect(MappingTable.cases.count >= 60)
        #expect(Set(MappingTable.cases.map(\.name)).count == MappingTable.cases.count, "case names are unique")
    }

    @Test(arguments: MappingTable.cases)
    func mapsExactly(_ example: MappingCase) {
        var mapper = PointMapper(
            configuration: example.variant.configuration,
            deviceRegistry: example.variant.deviceRegistry
        )
        if let schema = example.variant.schema { mapper.useSchema(schema) }
        for earlier in example.before {
            let (result, _) = mapMessage(&mapper, topic: example.topic, payload: earlier)
            #expect(result == .mapped(points: 1, skippedFields: 0), "setting up with \(earlier)")
        }
        let (result, lines) = mapMessage(&mapper, topic: example.topic, payload: example.payload)
        if let expected = example.lines {
            let points = expected.filter { $0 == "\n" }.count
            #expect(result == .mapped(points: points, skippedFields: example.skipped))
            #expect(lines == expected)
            #expect(LineProtocolParser.parse(lines)?.count == points, "the reference parser reads it back")
        } else {
            #expect(result == .refused(example.refused ?? .noFields))
            #expect(lines.isEmpty)
        }
        #expect(mapper.refusals == example.refusals)
        #expect(mapper.timestampsReplaced == example.replaced)
        #expect(mapper.stringsLeftOut.count == example.leftOut)
    }

    /// Every payload in the table is a fuzzing seed (`topic 0x00 payload`, as the fuzz target reads
    /// them). Run with `IOTFLOW_UPDATE_FUZZ_SEEDS=1` to write them after changing the table.
    @Test func everyCaseIsAFuzzSeed() throws {
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Seeds")
        let update = ProcessInfo.processInfo.environment["IOTFLOW_UPDATE_FUZZ_SEEDS"] != nil
        for (index, example) in MappingTable.cases.enumerated() {
            let url = seeds.appendingPathComponent(String(format: "table-%03d", index))
            let seed = Data(Array(example.topic.utf8) + [0] + Array(example.payload.utf8))
            if update { try seed.write(to: url) }
            #expect(FileManager.default.contents(atPath: url.path) == seed, "\(url.lastPathComponent): \(example.name)")
        }
    }
}
