// iotflow-bridge: the JSON parser: exact integers, member order, invalid UTF-8.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct JSONParserTests {
    @Test func integersAreExactAndOthersAreDoubles() throws {
        let value = try JSONParser().parse(
            Array(#"[0, -0, 1735732800123456789, -9223372036854775808, 9223372036854775808, 1.25, 2e2]"#.utf8)
        )
        guard case .array(let items) = value else {
            Issue.record("not an array")
            return
        }
        let numbers = items.compactMap { item -> JSONNumber? in if case .number(let n) = item { n } else { nil } }
        #expect(numbers.map(\.exactInteger) == [0, 0, 1_735_732_800_123_456_789, .min, nil, nil, nil])
        #expect(
            numbers[4].double == 9_223_372_036_854_775_808.0 && numbers[5].double == 1.25 && numbers[6].double == 200
        )
    }

    @Test func keepsMemberOrderAndDuplicates() throws {
        let value = try JSONParser().parse(Array(#"{"b": 1, "a": {"x": [true, null]}, "b": "s"}"#.utf8))
        let expected = JSONValue.object([
            (key: "b", value: .number(JSONNumber(double: 1, exactInteger: 1))),
            (key: "a", value: .object([(key: "x", value: .array([.bool(true), .null]))])),
            (key: "b", value: .string("s")),
        ])
        #expect(value == expected)
    }

    @Test func rejectsInvalidUTF8InStrings() {
        #expect(throws: JSONParsingError.invalidUTF8(offset: 2)) {
            try JSONParser().parse([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])
        }
    }
}
