// iotflow-bridge: what one message can cost is bounded by the configuration, not the payload.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct MessageBoundsTests {
    private func map(
        _ payload: [UInt8],
        _ configuration: MappingConfiguration = .init()
    ) -> (
        MappingResult, LineProtocolWriter, PointMapper
    ) {
        var mapper = PointMapper(configuration: configuration)
        var writer = LineProtocolWriter()
        // A point from an earlier message stays: the bound is per message.
        writer.beginPoint(measurement: "earlier".utf8)
        writer.appendField(key: "x".utf8, value: .float(1))
        writer.endPoint(timestampNanoseconds: 1)
        let result = Array(defaultTopic.utf8).withUnsafeBytes { topic in
            payload.withUnsafeBytes { mapper.map(topic: topic, payload: $0, receivedAt: 0, into: &writer) }
        }
        return (result, writer, mapper)
    }

    private func readings(_ count: Int) -> [UInt8] {
        Array(("[" + (0..<count).map { "{\"t\":\($0)}" }.joined(separator: ",") + "]").utf8)
    }

    @Test func anArrayOfMoreReadingsThanTheLimitIsRefusedWhole() {
        let limits = MappingConfiguration(maxPointsPerMessage: 10)
        #expect(map(readings(10), limits).0 == .mapped(points: 10, skippedFields: 0))
        let (result, writer, mapper) = map(readings(11), limits)
        #expect(result == .refused(.tooManyPoints))
        #expect(writer.pointCount == 1 && mapper.refusals.isEmpty)
    }

    @Test func theTabsAndOnesPayloadIsOneRefusalNotThirtyThousand() {
        // The shape measured in the issue: `[`, 4,000 tabs, then `1,1,1,…` up to 65,536 bytes.
        var payload = Array("[".utf8) + [UInt8](repeating: 0x09, count: 4000)
        while payload.count < 65_530 { payload += Array("1,".utf8) }
        payload += Array("1]".utf8)
        let (result, writer, mapper) = map(payload)
        #expect(result == .refused(.tooManyPoints))
        #expect(writer.pointCount == 1 && mapper.refusals.isEmpty)
    }

    @Test func aMessageWhoseLinesPassTheByteBoundIsRefusedWholeAndTakenBack() {
        // 200 readings of a 1,000-byte string: 200 KB of line protocol from a 200 KB payload.
        let text = String(repeating: "a", count: 1000)
        let payload = Array(("[" + (0..<200).map { _ in "{\"s\":\"\(text)\"}" }.joined(separator: ",") + "]").utf8)
        let limits = MappingConfiguration(
            fieldTypes: ["s:string"],
            maxPayloadBytes: 1_000_000,
            maxEncodedBytes: 100_000
        )
        let (result, writer, mapper) = map(payload, limits)
        #expect(result == .refused(.encodedTooLarge))
        #expect(writer.pointCount == 1 && writer.bytes.count == writer.lineLengths.reduce(0) { $0 + Int($1) })
        #expect(mapper.refusals.isEmpty)
        let roomy = MappingConfiguration(
            fieldTypes: ["s:string"],
            maxPayloadBytes: 1_000_000,
            maxEncodedBytes: 1_000_000
        )
        #expect(map(payload, roomy).0 == .mapped(points: 200, skippedFields: 0))
    }

    @Test func oneLargePointPastTheByteBoundIsRefusedToo() {
        let fields = (0..<100).map { "\"f\($0)\":\"\(String(repeating: "b", count: 100))\"" }.joined(separator: ",")
        // Strings kept as string fields (the old rule), so all 100 are written.
        let limits = MappingConfiguration(stringPolicy: .field, maxEncodedBytes: 5_000)
        let (result, writer, _) = map(Array("{\(fields)}".utf8), limits)
        #expect(result == .refused(.encodedTooLarge) && writer.pointCount == 1)
    }

    @Test func refusalsOfOneMessageStayBoundedByItsPayload() {
        // Every value refused: one refusal per value, never more, and one record lists 32 of them.
        let payload = Array(("{" + (0..<5000).map { "\"k\($0)\":\"NaN\"" }.joined(separator: ",") + "}").utf8)
        let (result, _, mapper) = map(payload, MappingConfiguration(maxPayloadBytes: 1_000_000, maxFields: 10_000))
        #expect(result == .refused(.nonFinite))
        #expect(mapper.refusals.count == 5000)
        let letter = payload.withUnsafeBytes {
            DeadLetter(
                time: 0,
                refusedAs: .nonFinite,
                parts: mapper.refusals,
                device: "d",
                topic: defaultTopic,
                payload: $0,
                maxPayloadBytes: 1_000_000
            )
        }
        #expect(letter.refused.count == DeadLetter.maxListedParts && letter.refusedMore == 5000 - 32)
        // The payload once (JSON escaping at most doubles it), whatever the number of parts.
        #expect(letter.jsonLine.utf8.count < 2 * payload.count + 4096)
    }
}
