// iotflow-bridge: the MQTT topic filters the configuration accepts.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct TopicFilterTests {
    @Test(arguments: [
        ("$share/g/iotflow/+/x", true), ("a/#", true), ("+", true), ("a/#/b", false), ("a+/b", false),
        ("$share//a", false), ("$share/g", false), ("", false),
    ])
    func checksTopicFilters(filter: String, valid: Bool) {
        #expect(TopicFilter.isValid(filter) == valid)
    }
}
