// iotflow-bridge: one dead-letter record per refused message, the payload held once.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct DeadLetterRecordTests {
    private func record(
        _ reason: RefusalReason,
        parts: [MappingRefusal],
        payload: [UInt8],
        maxPayloadBytes: Int = 65_536
    ) -> DeadLetter {
        payload.withUnsafeBytes {
            DeadLetter(
                time: 0,
                refusedAs: reason,
                parts: parts,
                device: "dev-1",
                topic: "iotflow/devices/dev-1/telemetry/m",
                payload: $0,
                maxPayloadBytes: maxPayloadBytes
            )
        }
    }

    @Test func partsAreListedOnceWithThePayloadAndReadBack() {
        let parts = [
            MappingRefusal(.typeConflict, field: "watts"), MappingRefusal(.nonFinite, field: "v", element: 3),
        ]
        let letter = record(.typeConflict, parts: parts, payload: Array(#"{"watts":true}"#.utf8))
        #expect(
            letter.jsonLine
                == #"{"time":"1970-01-01T00:00:00.000000000Z","reason":"type_conflict","device":"dev-1","#
                + #""topic":"iotflow/devices/dev-1/telemetry/m","refused":[{"reason":"type_conflict","field":"watts"},"#
                + #"{"reason":"non_finite","field":"v","element":3}],"payload":"{\"watts\":true}"}"# + "\n"
        )
        #expect(DeadLetter(jsonLine: letter.jsonLine) == letter)
    }

    @Test func aMessageRefusedWholeListsNoParts() {
        let letter = record(.malformedJSON, parts: [], payload: Array("{oops".utf8))
        #expect(letter.reason == "malformed_json" && letter.refused.isEmpty && letter.refusedMore == 0)
        #expect(!letter.jsonLine.contains("refused"))
    }

    @Test func anOversizedPayloadKeepsItsBeginningAndItsSize() {
        let letter = record(
            .payloadTooLarge,
            parts: [],
            payload: Array(repeating: 0x61, count: 100_000),
            maxPayloadBytes: 4096
        )
        #expect(letter.payload?.count == 4096 && letter.payloadBytes == 100_000)
        #expect(letter.jsonLine.contains(#""payload_bytes":100000"#))
        #expect(DeadLetter(jsonLine: letter.jsonLine) == letter)
    }

    @Test func aPayloadThatEscapingWouldMoreThanDoubleIsBase64() {
        // 4,000 tabs take 8,000 bytes as JSON text; 4,000 other control bytes would take 24,000.
        let tabs = record(.malformedJSON, parts: [], payload: [UInt8](repeating: 0x09, count: 4000)).jsonLine
        #expect(tabs.contains(#""payload":"\t\t"#) && tabs.utf8.count < 8000 + 200)
        let controls = record(.malformedJSON, parts: [], payload: [UInt8](repeating: 0x01, count: 4000)).jsonLine
        #expect(controls.contains("payload_base64") && controls.utf8.count < 4000 * 4 / 3 + 200)
        #expect(record(.malformedJSON, parts: [], payload: Array("a\tb".utf8)).jsonLine.contains(#""payload":"a\tb""#))
    }
}
