// iotflow-bridge: mapper behaviour beyond one message: where types come from, type registry bounds,
// custom routes, reuse.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

private func map(
    _ payload: String,
    topic: String = defaultTopic,
    configuration: MappingConfiguration = .init()
) -> (MappingResult, String) {
    var mapper = PointMapper(configuration: configuration)
    return mapMessage(&mapper, topic: topic, payload: payload)
}

@Suite struct PointMapperTests {
    @Test func refusesTopicLevelsThatAreNotUTF8() {
        var mapper = PointMapper(configuration: MappingConfiguration())
        var writer = LineProtocolWriter()
        let topic = Array("iotflow/devices/d/telemetry/m".utf8) + [0x8A]
        let result = topic.withUnsafeBytes { t in
            Array("{\"t\": 1}".utf8).withUnsafeBytes { mapper.map(topic: t, payload: $0, receivedAt: 0, into: &writer) }
        }
        #expect(result == .refused(.invalidTopicLevel) && writer.bytes.isEmpty)
    }

    @Test func aTopicTagNeedsTheWholeTopicToBeUTF8() {
        // Found by the fuzzer: a skipped level is not checked, but the topic tag carries it.
        var mapper = PointMapper(configuration: MappingConfiguration(topicTag: true))
        var writer = LineProtocolWriter()
        let topic = Array("iotflow/devices/d/telemetry/m".utf8)
        let skipped = MappingConfiguration(routes: ["{_}/devices/{device_id}/telemetry/{measurement}"], topicTag: true)
        var skipping = PointMapper(configuration: skipped)
        let hostile = [0x9E] + Array("/devices/d/telemetry/m".utf8)
        let payload = Array("{\"t\": 1}".utf8)
        let fine = topic.withUnsafeBytes { t in
            payload.withUnsafeBytes { mapper.map(topic: t, payload: $0, receivedAt: 0, into: &writer) }
        }
        #expect(fine == .mapped(points: 1, skippedFields: 0))
        writer.removeAll()
        let refused = hostile.withUnsafeBytes { t in
            payload.withUnsafeBytes { skipping.map(topic: t, payload: $0, receivedAt: 0, into: &writer) }
        }
        #expect(refused == .refused(.invalidTopicLevel) && writer.bytes.isEmpty)
    }

    @Test func refusesPayloadsThatAreNotUTF8() {
        var mapper = PointMapper(configuration: MappingConfiguration())
        var writer = LineProtocolWriter()
        let payload: [UInt8] = Array("{\"s\": \"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        let result = Array(defaultTopic.utf8).withUnsafeBytes { t in
            payload.withUnsafeBytes { mapper.map(topic: t, payload: $0, receivedAt: 0, into: &writer) }
        }
        #expect(result == .refused(.invalidUTF8) && writer.bytes.isEmpty)
    }

    @Test func refusesTooManyFieldsAtTheDefaultBound() {
        let members = (0...MappingConfiguration().maxFields).map { "\"f\($0)\": \($0)" }.joined(separator: ",")
        #expect(map("{\(members)}").0 == .refused(.tooManyFields))
        let fitting = (1...MappingConfiguration().maxFields).map { "\"f\($0)\": \($0)" }.joined(separator: ",")
        #expect(map("{\(fitting)}").0 == .mapped(points: 1, skippedFields: 0))
    }

    @Test func manyDuplicateKeysKeepTheLastOfEach() {
        let members = (0..<40).map { "\"k\($0 % 20)\": \($0)" }.joined(separator: ",")
        let (result, lines) = map("{\(members)}")
        #expect(result == .mapped(points: 1, skippedFields: 0))
        let fields = LineProtocolParser.parse(lines)?.first?.fields
        #expect(fields == Dictionary(uniqueKeysWithValues: (20..<40).map { ("k\($0 % 20)", "\($0)") }))
    }

    @Test func customRouteGivesTagsAndSkipsLevels() {
        let configuration = MappingConfiguration(routes: ["site/{site}/+/{device_id}/{measurement}"])
        let (result, lines) = map("{\"v\": 1}", topic: "site/berlin/floor2/dev-9/power", configuration: configuration)
        #expect(result == .mapped(points: 1, skippedFields: 0))
        #expect(lines == "power,site=berlin,device_id=dev-9 v=1 \(receivedAt)\n")
    }

    @Test func sameMessageEncodesToSameBytes() {
        // A redelivered message must overwrite, not duplicate: its bytes are identical.
        #expect(map("{\"t\": 1.5}").1 == map("{\"t\": 1.5}").1)
    }

    @Test func fiftyThenFiftyPointFiveThenTextualFiftyOneAreAllFloats() {
        var mapper = PointMapper(configuration: MappingConfiguration())
        let values = ["50", "50.5", "\"51\"", "\" 52.0 \""].map { payload in
            LineProtocolParser.parse(mapMessage(&mapper, topic: defaultTopic, payload: "{\"v\": \(payload)}").1)?
                .first?.fields["v"]
        }
        #expect(values == ["50", "50.5", "51", "52"])
    }

    @Test func typeRegistryIsPerMeasurementAndBounded() {
        var configuration = MappingConfiguration(stringPolicy: .field)
        configuration.maxFieldTypes = 2
        var mapper = PointMapper(configuration: configuration)
        let power = "iotflow/devices/dev-1/telemetry/power"
        let other = "iotflow/devices/dev-1/telemetry/other"
        #expect(mapMessage(&mapper, topic: power, payload: "{\"watts\": 50}").0 == .mapped(points: 1, skippedFields: 0))
        // Another measurement may hold a field of the same name with another type.
        #expect(
            mapMessage(&mapper, topic: other, payload: "{\"watts\": true}").0 == .mapped(points: 1, skippedFields: 0)
        )
        #expect(mapper.knownFieldTypes == 2)
        // Full: a new field is refused, loudly; known fields still map.
        let (result, lines) = mapMessage(&mapper, topic: power, payload: "{\"watts\": 51, \"volts\": 230}")
        #expect(result == .mapped(points: 1, skippedFields: 0))
        #expect(lines == "power,device_id=dev-1 watts=51 \(receivedAt)\n")
        #expect(mapper.refusals == [MappingRefusal(.typeRegistryFull, field: "volts")])
        #expect(mapper.knownFieldTypes == 2)
    }

    /// The issue's measurement: one device sent `{"temperature":"hot"}` right after start, and the
    /// 20 devices that then sent numbers all had them refused, because the first type seen won.
    @Test func oneDevicesTextAndBooleansNeverTypeTheFieldForTwentyOthers() {
        var mapper = PointMapper(configuration: MappingConfiguration())
        let poison = "iotflow/devices/dev-poison/telemetry/environment"
        _ = mapMessage(&mapper, topic: poison, payload: #"{"temperature": "hot"}"#)
        _ = mapMessage(&mapper, topic: poison, payload: #"{"temperature": true, "door": false}"#)
        var temperatures: [String?] = []
        for device in 0..<20 {
            let topic = "iotflow/devices/dev-\(device)/telemetry/environment"
            let (result, lines) = mapMessage(&mapper, topic: topic, payload: "{\"temperature\": \(20 + device)}")
            #expect(result == .mapped(points: 1, skippedFields: 0) && mapper.refusals.isEmpty)
            temperatures.append(LineProtocolParser.parse(lines)?.first?.fields["temperature"])
        }
        // Bare digits are floats in line protocol; an integer would end in `i`, a string be quoted.
        #expect(temperatures == (0..<20).map { "\(20 + $0)" })
        #expect(mapper.knownFieldTypes == 0, "under string_policy: declared the data teaches no types")
    }

    @Test func declarationsWinOverTheSchemaAndTheSchemaOverTheFirstTypeSeen() {
        var mapper = PointMapper(configuration: MappingConfiguration(stringPolicy: .field, fieldTypes: ["count:float"]))
        #expect(mapMessage(&mapper, topic: defaultTopic, payload: #"{"state": "idle"}"#).1.contains(#"state="idle""#))
        var schema = FieldSchema()
        schema.add(.float, measurement: "environment", field: "state")
        schema.add(.integer, measurement: "environment", field: "count")
        mapper.useSchema(schema)
        // The schema says float: a number lands, text (the first type seen) is now a conflict.
        #expect(mapMessage(&mapper, topic: defaultTopic, payload: #"{"state": 5}"#).1.contains(" state=5 "))
        #expect(mapMessage(&mapper, topic: defaultTopic, payload: #"{"state": "idle"}"#).0 == .refused(.typeConflict))
        // The declaration says float: 1.5 lands although the schema says integer.
        #expect(mapMessage(&mapper, topic: defaultTopic, payload: #"{"count": 1.5}"#).1.contains(" count=1.5 "))
    }

    @Test func aNewerSchemaReplacesTheOldFromTheNextMessage() {
        var mapper = PointMapper(configuration: MappingConfiguration())
        var schema = FieldSchema()
        schema.add(.string, measurement: "environment", field: "status")
        mapper.useSchema(schema)
        #expect(mapMessage(&mapper, topic: defaultTopic, payload: #"{"status": "ok"}"#).1.contains(#"status="ok""#))
        mapper.useSchema(FieldSchema())
        #expect(mapMessage(&mapper, topic: defaultTopic, payload: #"{"status": "ok"}"#).0 == .refused(.noFields))
        #expect(mapper.stringsLeftOut == ["status"])
    }

    @Test func theSchemaNamesMeasurementsAsInfluxDBStoresThem() {
        var mapper = PointMapper(configuration: MappingConfiguration())
        var schema = FieldSchema()
        // Written as `_m` (a leading # would start a comment) and `a_b` (a backslash becomes `_`).
        schema.add(.string, measurement: "_m", field: "s")
        schema.add(.string, measurement: "a_b", field: "s")
        mapper.useSchema(schema)
        let (_, lines) = mapMessage(&mapper, topic: "iotflow/devices/d/telemetry/#m", payload: #"{"s": 5}"#)
        #expect(lines == "_m,device_id=d s=\"5\" \(receivedAt)\n")
        let (_, escaped) = mapMessage(&mapper, topic: "iotflow/devices/d/telemetry/a\\b", payload: #"{"s": 5}"#)
        #expect(escaped == "a_b,device_id=d s=\"5\" \(receivedAt)\n")
    }

    @Test func refusalsAndReplacedTimesAreReportedPerMessage() {
        var mapper = PointMapper(configuration: MappingConfiguration())
        _ = mapMessage(&mapper, topic: defaultTopic, payload: "{\"a\": \"NaN\", \"b\": 1, \"ts\": 1}")
        #expect(mapper.refusals == [MappingRefusal(.nonFinite, field: "a")] && mapper.timestampsReplaced == 1)
        _ = mapMessage(&mapper, topic: defaultTopic, payload: "{\"b\": 2}")
        #expect(mapper.refusals.isEmpty && mapper.timestampsReplaced == 0)
    }

    @Test func deviceIDIsReportedOnlyForAMatchedValidTopic() {
        var mapper = PointMapper(configuration: MappingConfiguration())
        func device(_ topic: String) -> String? {
            _ = mapMessage(&mapper, topic: topic, payload: "{oops")
            return Array(topic.utf8).withUnsafeBytes { mapper.deviceID(in: $0) }
        }
        #expect(device(defaultTopic) == "dev-1")
        #expect(device("iotflow/devices/dev-2/status/x") == nil)
        #expect(device("iotflow/devices/dev\t3/telemetry/x") == nil)
    }

    @Test func aReplacedDeviceRegistryTakesEffectOnTheNextMessage() {
        var mapper = PointMapper(configuration: MappingConfiguration())
        #expect(
            mapMessage(&mapper, topic: defaultTopic, payload: "{\"t\": 1}").1.hasPrefix("environment,device_id=dev-1 ")
        )
        mapper.deviceRegistry = DeviceRegistry(devices: ["dev-1": [.init(key: "location", value: "roof")]])
        #expect(
            mapMessage(&mapper, topic: defaultTopic, payload: "{\"t\": 1}").1.hasPrefix(
                "environment,device_id=dev-1,location=roof "
            )
        )
    }

    @Test(arguments: ["time", "_measurement", "_field"])
    func aKeyInfluxDBReservesIsRefusedAndTheRestIsStored(key: String) {
        var mapper = PointMapper(configuration: MappingConfiguration(timestampKeys: ["ts"]))
        var writer = LineProtocolWriter()
        let payload = Array(#"{"\#(key)": 1, "t": 2, "metadata": {"\#(key)": "x"}, "data": {"v": 3}}"#.utf8)
        let result = Array(defaultTopic.utf8).withUnsafeBytes { topic in
            payload.withUnsafeBytes { mapper.map(topic: topic, payload: $0, receivedAt: 5, into: &writer) }
        }
        #expect(result == .mapped(points: 1, skippedFields: 0))
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "environment,device_id=dev-1 t=2,v=3 5\n")
        #expect(
            mapper.refusals == [MappingRefusal(.reservedKey, field: key), MappingRefusal(.reservedKey, field: key)]
        )
    }
}
