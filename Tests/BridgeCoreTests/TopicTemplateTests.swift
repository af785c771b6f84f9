// iotflow-bridge: topic templates the bridge refuses to start with.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct TopicTemplateTests {
    @Test(arguments: [
        ("iotflow/devices/{device_id}/telemetry", TemplateError.missingMeasurement),
        ("a/{Device}/{measurement}", .invalidName("Device")),
        ("a/{time}/{measurement}", .invalidName("time")),
        ("{x}/{x}/{measurement}", .duplicateName("x")),
        ("a//{measurement}", .invalidLevel("")),
        ("a/#/{measurement}", .invalidLevel("#")),
    ])
    func refusesUnusableTemplates(text: String, error: TemplateError) {
        #expect(TopicTemplate.parse(text) == .failure(error))
    }
}
