// iotflow-bridge: the schema reaches the MQTT thread once per publication, and the start-up wait for it is bounded.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import Testing

@testable import Bridge

@Suite(.timeLimit(.minutes(1))) struct FieldSchemaHandoffTests {
    private func schema(_ field: String) -> FieldSchema {
        var schema = FieldSchema()
        schema.add(.string, measurement: "m", field: field)
        return schema
    }

    @Test func aPublishedSchemaIsTakenOnce() {
        let handoff = FieldSchemaHandoff(reading: true)
        var seen = 0
        #expect(handoff.take(ifNewerThan: &seen) == nil, "nothing read yet")
        handoff.publish(schema("a"))
        handoff.publish(schema("b"))
        #expect(handoff.take(ifNewerThan: &seen) == schema("b"), "the latest")
        #expect(handoff.take(ifNewerThan: &seen) == nil, "handed over once")
    }

    @Test func theStartUpWaitEndsWhenTheFirstReadFinishes() {
        let handoff = FieldSchemaHandoff(reading: true)
        let started = ContinuousClock.now
        let reader = Thread {
            handoff.publish(FieldSchema())
            handoff.firstReadFinished()
        }
        reader.start()
        handoff.waitForFirstRead(upTo: .seconds(50), or: WakeSignal())
        #expect(ContinuousClock.now - started < .seconds(50), "ended by the read, not the timeout")
        var seen = 0
        #expect(handoff.take(ifNewerThan: &seen) == FieldSchema())
    }

    @Test func theStartUpWaitIsBoundedAndEndsAtStop() {
        // InfluxDB never answers: intake starts after the timeout anyway.
        FieldSchemaHandoff(reading: true).waitForFirstRead(upTo: .milliseconds(50), or: WakeSignal())
        let stop = WakeSignal()
        stop.signal()
        let started = ContinuousClock.now
        FieldSchemaHandoff(reading: true).waitForFirstRead(upTo: .seconds(50), or: stop)
        // A dry run reads no schema, so it never waits.
        FieldSchemaHandoff(reading: false).waitForFirstRead(upTo: .seconds(50), or: WakeSignal())
        #expect(ContinuousClock.now - started < .seconds(50))
    }
}
