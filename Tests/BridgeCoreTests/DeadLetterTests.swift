// iotflow-bridge: dead letters: one JSON line each, and one record per refused message, the payload held once.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct DeadLetterTests {
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

    @Test func encodesOneJSONLineAndReadsItBack() {
        let letter = DeadLetter(
            time: 1_704_110_400_123_456_789,
            reason: "field type conflict: \"v\"\n",
            status: 400,
            line: #"environment,device_id=dev\ 1,site=x v=true 1"#
        )
        #expect(letter.device == "dev 1")
        #expect(
            letter.jsonLine
                == #"{"time":"2024-01-01T12:00:00.123456789Z","reason":"field type conflict: \"v\"\n","status":400,"#
                + #""device":"dev 1","line":"environment,device_id=dev\\ 1,site=x v=true 1"}"# + "\n"
        )
        #expect(DeadLetter(jsonLine: letter.jsonLine) == letter)
        #expect(DeadLetter(jsonLine: "not json") == nil)
    }

    @Test func refusedMessagesKeepTopicAndPayloadTextOrBase64() {
        let text = DeadLetter(
            time: 0,
            reason: "malformed_json",
            topic: "iotflow/devices/d/telemetry/m",
            payload: Array("{oops".utf8)
        )
        #expect(text.jsonLine.contains(#""topic":"iotflow/devices/d/telemetry/m","payload":"{oops""#))
        #expect(DeadLetter(jsonLine: text.jsonLine) == text)
        let binary = DeadLetter(time: 0, reason: "invalid_utf8", topic: "t", payload: [0xFF, 0x00, 0x7B])
        #expect(binary.jsonLine.contains(#""payload_base64":"/wB7""#))
        #expect(DeadLetter(jsonLine: binary.jsonLine) == binary)
    }
}
