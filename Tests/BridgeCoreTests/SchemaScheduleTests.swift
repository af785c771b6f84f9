// iotflow-bridge: when the schema is read: at start, then on request, with backoff after failures.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct SchemaScheduleTests {
    private let start = ContinuousClock.now

    @Test func readsAtStartThenOnlyOnRequestAtMostEveryTenSeconds() {
        var schedule = SchemaSchedule(now: start)
        #expect(schedule.isDue(at: start))
        schedule.readSucceeded(at: start)
        #expect(schedule.nextRead == nil, "a current schema waits for a request")
        schedule.refreshRequested(at: start + .seconds(1))
        #expect(schedule.nextRead == start + .seconds(10) && !schedule.isDue(at: start + .seconds(9)))
        schedule.refreshRequested(at: start + .seconds(2))
        #expect(schedule.nextRead == start + .seconds(10), "requests in between change nothing")
        schedule.readSucceeded(at: start + .seconds(10))
        schedule.refreshRequested(at: start + .seconds(60))
        #expect(schedule.nextRead == start + .seconds(60), "long after the last read: at once")
    }

    @Test func failedReadsRetryWithBackoffAndARequestDoesNotHastenThem() {
        var schedule = SchemaSchedule(now: start)
        schedule.readFailed(at: start, random: 1)
        #expect(schedule.nextRead == start + .seconds(1) && schedule.consecutiveFailures == 1)
        schedule.readFailed(at: start + .seconds(1), random: 1)
        schedule.readFailed(at: start + .seconds(3), random: 1)
        #expect(schedule.nextRead == start + .seconds(7))
        schedule.refreshRequested(at: start + .seconds(4))
        #expect(schedule.nextRead == start + .seconds(7))
        for failure in 4...12 { schedule.readFailed(at: start + .seconds(100 * failure), random: 1) }
        #expect(schedule.nextRead == start + .seconds(1_260), "the backoff stops at 60 s")
        schedule.readSucceeded(at: start + .seconds(1_260))
        #expect(schedule.consecutiveFailures == 0 && schedule.nextRead == nil)
    }

    @Test func aSinkWithoutFieldTypesIsNeverReadAgain() {
        var schedule = SchemaSchedule(now: start)
        schedule.sinkHasNoFieldTypes()
        schedule.refreshRequested(at: start + .seconds(3600))
        #expect(schedule.nextRead == nil && !schedule.isDue(at: start + .seconds(7200)))
    }
}
