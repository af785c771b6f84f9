// iotflow-bridge: numbers that devices send as text, and the text that only looks like one.
// SPDX-License-Identifier: Apache-2.0

import Testing

@testable import BridgeCore

@Suite struct NumericTextTests {
    @Test func numbersInTextFollowTheJSONGrammarWithSurroundingSpaceAllowed() {
        guard case .number(let float) = NumericText.parse(" 23.5\t") else {
            Issue.record("23.5 is a number")
            return
        }
        #expect(float == JSONNumber(double: 23.5))
        guard case .number(let integer) = NumericText.parse("-1735732800000000000") else {
            Issue.record("an epoch in nanoseconds is a number")
            return
        }
        #expect(integer.exactInteger == -1_735_732_800_000_000_000)
        guard case .number(let huge) = NumericText.parse("1e999") else {
            Issue.record("1e999 is a number, if not a finite one")
            return
        }
        #expect(huge.double == .infinity)
    }

    @Test(arguments: ["NaN", "nan", "-inf", "+INF", "Infinity", " -infinity "])
    func nonFiniteWordsAreNotText(_ text: String) {
        guard case .nonFinite = NumericText.parse(text) else {
            Issue.record("\(text) is a number line protocol cannot carry")
            return
        }
    }

    /// JSON has no leading zeros, `+` or bare `.5`, so such values stay text (a serial "007" is not 7).
    @Test(arguments: [
        "", "   ", "007", "+5", ".5", "5.", "1,5", "nano", "infinite", "12 34", String(repeating: "1", count: 65),
    ])
    func everythingElseIsText(_ text: String) {
        guard case .text = NumericText.parse(text) else {
            Issue.record("'\(text)' is text")
            return
        }
    }
}
