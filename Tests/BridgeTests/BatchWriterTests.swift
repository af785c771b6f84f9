// iotflow-bridge: the writer loop against a scripted transport: triggers, keep, reject, drain.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import Logging
import Testing

@testable import Bridge

/// Answers each write with the next scripted outcome (then `.accepted`) and records the bodies.
private final class ScriptedTransport: InfluxTransport, @unchecked Sendable {
    // `condition` guards `script` and `bodies`; the writer thread and the test both touch them.
    private let condition = NSCondition()
    private var script: [WriteOutcome]
    private var bodies: [String] = []

    init(_ script: [WriteOutcome] = []) {
        self.script = script
    }

    func write(_ body: [UInt8]) -> WriteAttempt {
        condition.lock()
        defer { condition.unlock() }
        bodies.append(String(decoding: body, as: UTF8.self))
        condition.broadcast()
        return WriteAttempt(outcome: script.isEmpty ? .accepted : script.removeFirst(), message: "scripted")
    }

    /// The bodies once at least `count` writes happened, or nil after 10 s.
    func waitForWrites(_ count: Int) -> [String]? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(10)
        while bodies.count < count {
            guard condition.wait(until: deadline) else { return nil }
        }
        return bodies
    }
}

/// A writer thread over a fresh buffer, stopped (and drained) by `stop()`.
private struct Harness {
    let buffer = MemoryPointBuffer(capacityBytes: 1 << 20)
    let counters = BridgeCounters()
    let stopSignal = WakeSignal()
    let thread: DedicatedThread

    init(
        transport: ScriptedTransport,
        batchSize: Int = 1000,
        flushInterval: Duration = .seconds(3600),
        drain: Duration = .seconds(5)
    ) {
        let configuration = InfluxConfiguration(batchSize: batchSize, flushInterval: flushInterval, flushJitter: .zero)
        let writer = BatchWriter(
            configuration: configuration,
            drain: drain,
            buffer: buffer,
            counters: counters,
            transport: transport,
            logger: Logger(label: "test")
        )
        let stopSignal = self.stopSignal
        // The writer is confined to this thread from here on; the test only talks to the buffer.
        nonisolated(unsafe) let confined = writer
        thread = DedicatedThread(name: "test-writer") { confined.run(until: stopSignal) }
    }

    func append(_ lines: [String]) {
        let bytes = Array(lines.joined().utf8)
        let lengths = lines.map { UInt32($0.utf8.count) }
        let appended = bytes.withUnsafeBufferPointer { b in
            lengths.withUnsafeBufferPointer { buffer.append(lines: b, lineLengths: $0, waitingUpTo: .zero) }
        }
        precondition(appended)
    }

    func stop() async {
        stopSignal.signal()
        buffer.interruptWaits()
        await thread.join()
    }
}

@Suite(.timeLimit(.minutes(1))) struct BatchWriterTests {
    @Test func aFullBatchIsWrittenWithoutWaitingForTheTimer() async {
        let transport = ScriptedTransport()
        let harness = Harness(transport: transport, batchSize: 3)
        harness.append(["m v=1 1\n", "m v=2 2\n", "m v=3 3\n", "m v=4 4\n"])
        #expect(transport.waitForWrites(1)?.first == "m v=1 1\nm v=2 2\nm v=3 3\n")
        await harness.stop()
        #expect(harness.counters.snapshot().pointsWritten == 4)
    }

    @Test func aPartialBatchIsWrittenWhenTheIntervalPasses() async {
        let transport = ScriptedTransport()
        let harness = Harness(transport: transport, flushInterval: .milliseconds(100))
        harness.append(["m v=1 1\n"])
        #expect(transport.waitForWrites(1) == ["m v=1 1\n"])
        await harness.stop()
    }

    @Test func aFailedBatchStaysAtTheFrontAndIsRetriedWhole() async {
        let transport = ScriptedTransport([.retryable(status: 503), .configurationError(status: 401)])
        let harness = Harness(transport: transport, batchSize: 2, flushInterval: .milliseconds(100))
        harness.append(["m v=1 1\n", "m v=2 2\n"])
        let bodies = transport.waitForWrites(3)
        #expect(bodies?.count == 3 && Set(bodies ?? []) == ["m v=1 1\nm v=2 2\n"])
        await harness.stop()
        let counters = harness.counters.snapshot()
        #expect(counters.writeErrors == 2 && counters.pointsWritten == 2 && counters.pointsDropped == 0)
    }

    @Test func aRejectedBatchLeavesAndIsCounted() async {
        let transport = ScriptedTransport([.rejected(status: 400)])
        let harness = Harness(transport: transport, batchSize: 1)
        harness.append(["bad 1\n", "m v=2 2\n"])
        #expect(transport.waitForWrites(2) == ["bad 1\n", "m v=2 2\n"])
        await harness.stop()
        let counters = harness.counters.snapshot()
        #expect(counters.pointsRejected == 1 && counters.pointsWritten == 1)
    }

    @Test func stoppingDrainsWhatIsBuffered() async {
        let transport = ScriptedTransport()
        let harness = Harness(transport: transport)
        harness.append(["m v=1 1\n", "m v=2 2\n"])
        await harness.stop()
        #expect(transport.waitForWrites(1) == ["m v=1 1\nm v=2 2\n"])
        #expect(harness.buffer.occupancy.points == 0)
    }

    @Test func whatCannotBeWrittenByTheDrainDeadlineIsCountedAsDropped() async {
        let transport = ScriptedTransport(Array(repeating: .retryable(status: nil), count: 100))
        let harness = Harness(transport: transport, drain: .milliseconds(300))
        harness.append(["m v=1 1\n", "m v=2 2\n"])
        await harness.stop()
        #expect(harness.counters.snapshot().pointsDropped == 2)
    }
}
