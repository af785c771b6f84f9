// iotflow-bridge: the writer loop against a scripted transport: triggers, keep, reject, drain.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import InMemoryLogging
import Logging
import Synchronization
import Testing

@testable import Bridge

/// Answers each write with the next scripted outcome (then `.accepted`) and records the bodies.
private final class ScriptedTransport: InfluxTransport, @unchecked Sendable {
    // `condition` guards `script` and `bodies`; the writer thread and the test both touch them.
    private let condition = NSCondition()
    private var script: [WriteOutcome]
    private var bodies: [String] = []
    /// When set, answers from the body instead of the script.
    var answer: (@Sendable (String) -> WriteOutcome)?

    init(_ script: [WriteOutcome] = []) {
        self.script = script
    }

    func write(_ body: ArraySlice<UInt8>) -> WriteOutcome {
        condition.lock()
        defer { condition.unlock() }
        let text = String(decoding: body, as: UTF8.self)
        bodies.append(text)
        condition.broadcast()
        if let answer { return answer(text) }
        return script.isEmpty ? .accepted : script.removeFirst()
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

/// Whether `condition` holds within 10 s, checked every 10 ms.
private func poll(_ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + .seconds(10)
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return true
}

/// A writer thread over a fresh buffer, stopped (and drained) by `stop()`.
private struct Harness {
    let buffer: any PointBufferHandle
    /// The buffer's intake half; the test's thread appends through it.
    let intake: any PointBufferIntake
    let counters = BridgeCounters()
    let stopSignal = WakeSignal()
    let logs = InMemoryLogHandler()
    /// The `influxdb` settings a reload replaces; every new transport is `transport` again.
    let settings: InfluxSettings
    let thread: DedicatedThread

    init(
        transport: ScriptedTransport,
        batchSize: Int = 1000,
        maxBatchBytes: Int = 4 * 1024 * 1024,
        flushInterval: Duration = .seconds(3600),
        flushJitter: Duration = .zero,
        drain: Duration = .seconds(5),
        deadLetterPath: String = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dl-\(UUID().uuidString).jsonl"
        ).path,
        breaker: BreakerConfiguration = BreakerConfiguration(failures: 1000),
        maxSettleTime: Duration = .seconds(30),
        onTypeConflict: (@Sendable () -> Void)? = nil
    ) {
        let configuration = BridgeConfiguration(
            influxdb: InfluxConfiguration(
                batchSize: batchSize,
                maxBatchBytes: maxBatchBytes,
                flushInterval: flushInterval,
                flushJitter: flushJitter
            ),
            retry: RetryConfiguration(initial: .milliseconds(100), maximum: .milliseconds(200)),
            breaker: breaker,
            delivery: DeliveryConfiguration(maxSettleTime: maxSettleTime),
            deadLetters: DeadLetterConfiguration(path: deadLetterPath),
            shutdown: ShutdownConfiguration(drain: drain)
        )
        let logs = self.logs
        let logger = Logger(label: "test") { _ in logs }
        let settings = InfluxSettings(configuration.influxdb)
        self.settings = settings
        let buffer = PointBuffer.memory(capacityBytes: 1 << 20)
        self.buffer = buffer.handle
        intake = buffer.intake.take()!
        let writer = BatchWriter(
            configuration: configuration,
            buffer: buffer.outlet.take()!,
            counters: counters,
            transport: transport,
            deadLetters: DeadLetterFile(configuration: configuration.deadLetters, logger: logger),
            logger: logger,
            reloads: (settings, { _ in transport }),
            onTypeConflict: onTypeConflict
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
            lengths.withUnsafeBufferPointer { intake.append(lines: b, lineLengths: $0, waitingUpTo: .zero) }
        }
        precondition(appended)
        try! intake.commit()
    }

    /// Reloads the `influxdb` settings with `change` made, as SIGHUP does.
    func reload(_ change: (inout InfluxConfiguration) -> Void) {
        var changed = settings.current.configuration
        change(&changed)
        precondition(settings.replace(with: changed))
    }

    /// Whether the writer logged `message` at notice within 10 s.
    func noticed(_ message: String) -> Bool {
        poll { messages(.notice).contains { "\($0.message)" == message } }
    }

    /// The captured messages at `level`.
    func messages(_ level: Logger.Level) -> [InMemoryLogHandler.Entry] {
        logs.entries.filter { $0.level == level }
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
        let transport = ScriptedTransport([
            .retryable(status: 503, message: "unavailable"), .configurationError(status: 401, message: "unauthorized"),
        ])
        let harness = Harness(transport: transport, batchSize: 2, flushInterval: .milliseconds(100))
        harness.append(["m v=1 1\n", "m v=2 2\n"])
        let bodies = transport.waitForWrites(3)
        #expect(bodies?.count == 3 && Set(bodies ?? []) == ["m v=1 1\nm v=2 2\n"])
        await harness.stop()
        let counters = harness.counters.snapshot()
        #expect(counters.writeErrors == 2 && counters.pointsWritten == 2 && counters.pointsDropped == 0)
    }

    @Test func badLinesAreIsolatedAndDeadLetteredAndTheRestWritten() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dl-\(UUID().uuidString).jsonl").path
        let transport = ScriptedTransport()
        transport.answer = { body in
            // Like InfluxDB 2.x: one bad line rejects the whole request, without saying which.
            body.contains("bad") ? .rejected(status: 400, message: "unable to parse") : .accepted
        }
        let harness = Harness(transport: transport, batchSize: 8, deadLetterPath: path)
        let lines = (0..<8).map { $0 == 5 ? "m,device_id=d5 bad 5\n" : "m,device_id=d\($0) v=\($0) \($0)\n" }
        harness.append(lines)
        await harness.stop()
        let counters = harness.counters.snapshot()
        #expect(counters.pointsWritten == 7 && counters.pointsRejected == 1 && counters.writeErrors == 0)
        let letters = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap {
            DeadLetter(jsonLine: String($0))
        }
        #expect(letters.map(\.line) == ["m,device_id=d5 bad 5"])
        #expect(
            letters.first?.reason == "unable to parse" && letters.first?.status == 400 && letters.first?.device == "d5"
        )
        // Every good line was stored in some accepted request.
        let stored = Set(
            transport.waitForWrites(1)?.filter { !$0.contains("bad") }.flatMap { $0.split(separator: "\n") } ?? []
        )
        #expect(stored.count == 7)
    }

    @Test func aRejectedLineLeavesTheBufferOnlyOnceItsDeadLetterIsWritten() async throws {
        // Root ignores permissions, so the unwritable path is one whose parent is a regular file.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dl-\(UUID().uuidString)").path
        let blocker = directory + "/blocker"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data("not a directory".utf8)))
        let path = blocker + "/dead-letters.jsonl"
        let transport = ScriptedTransport()
        transport.answer = { $0.contains("bad") ? .rejected(status: 400, message: "unable to parse") : .accepted }
        let harness = Harness(transport: transport, batchSize: 4, deadLetterPath: path)
        harness.append(["m,device_id=a v=1 1\n", "m,device_id=b bad 2\n", "m,device_id=c v=3 3\n", "m v=4 4\n"])

        let cannotWrite =
            "Cannot write the dead-letter file; the rejected lines stay buffered and the write is retried."
        #expect(poll { harness.messages(.error).contains { "\($0.message)" == cannotWrite } })
        // The good lines were stored, but the batch waits at the front of the buffer for its dead letter.
        #expect(harness.buffer.occupancy.points == 4)
        #expect(harness.counters.snapshot().pointsRejected == 0 && harness.counters.snapshot().pointsWritten == 0)
        harness.append(["m v=5 5\n", "m v=6 6\n", "m v=7 7\n", "m v=8 8\n"])

        try FileManager.default.removeItem(atPath: blocker)
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: false)
        #expect(poll { harness.buffer.occupancy.points == 0 })
        await harness.stop()

        let letters = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap {
            DeadLetter(jsonLine: String($0))
        }
        #expect(letters.map(\.line) == ["m,device_id=b bad 2"] && letters.first?.status == 400)
        let counters = harness.counters.snapshot()
        #expect(counters.pointsRejected == 1 && counters.pointsWritten == 7)
        let failures = harness.messages(.error).filter { "\($0.message)" == cannotWrite }
        #expect(failures.count == 1, "one error per minute at most")
        #expect(failures.first?.metadata["dead_letters.path"] == "\(path)")
        #expect(
            harness.messages(.notice).contains {
                "\($0.message)" == "The dead-letter file takes writes again; the held lines are written."
            }
        )
        // The second batch went out only after the first left the buffer.
        let bodies = transport.waitForWrites(1) ?? []
        #expect(bodies.last == "m v=5 5\nm v=6 6\nm v=7 7\nm v=8 8\n")
    }

    @Test func a1xTypeConflictSettlesInOneRequestAndCallsTheSchemaHook() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dl-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let message =
            #"partial write: field type conflict: input field "t" on measurement "m" is type boolean, already exists as type float dropped=1"#
        let transport = ScriptedTransport([
            .partiallyWritten(status: 400, report: try #require(PartialWrite(message: message)))
        ])
        let conflicts = Atomic(0)
        let harness = Harness(transport: transport, batchSize: 3, deadLetterPath: path) {
            conflicts.add(1, ordering: .relaxed)
        }
        harness.append(["m,device_id=a t=1 1\n", "m,device_id=b t=true 2\n", "m,device_id=c t=3 3\n"])
        #expect(poll { harness.buffer.occupancy.points == 0 })
        await harness.stop()

        #expect(transport.waitForWrites(1)?.count == 1, "lines InfluxDB stored were sent again")
        let counters = harness.counters.snapshot()
        #expect(counters.pointsRejected == 1 && counters.pointsWritten == 2)
        #expect(conflicts.load(ordering: .relaxed) == 1)
        let letters = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap {
            DeadLetter(jsonLine: String($0))
        }
        #expect(letters.map(\.line) == ["m,device_id=b t=true 2"] && letters.first?.reason == message)
    }

    @Test func aBatchTheServerRefusesWhollySettlesWithinTheSettleTime() async throws {
        let transport = ScriptedTransport()
        transport.answer = { _ in
            // A server that takes 100 ms to reject any request without naming lines (like 2.x).
            Thread.sleep(forTimeInterval: 0.1)
            return .rejected(status: 400, message: "unable to parse")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dl-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let harness = Harness(transport: transport, batchSize: 64, deadLetterPath: path, maxSettleTime: .seconds(1))
        harness.append((0..<64).map { "m,device_id=d\($0) bad \($0)\n" })
        #expect(poll { harness.buffer.occupancy.points == 0 })
        await harness.stop()

        // The first rejection, then 1 s of 100 ms requests (one may be in flight when it runs out),
        // where bisection alone would take 127 and the request limit 113.
        let counters = harness.counters.snapshot()
        #expect(counters.requests <= 12, "\(counters.requests) requests")
        #expect(counters.pointsRejected == 64 && counters.pointsWritten == 0)
        #expect(
            harness.messages(.warning).contains {
                "\($0.message)".hasPrefix("A batch did not settle within its settle budget")
            }
        )
    }

    @Test func theBreakerOpensProbesAndClosesOnTheRealLoop() async {
        // The schedule itself is WriterStateMachineTests'; here the loop performs it.
        let transport = ScriptedTransport(Array(repeating: .retryable(status: 500, message: "down"), count: 3))
        let harness = Harness(
            transport: transport,
            batchSize: 1,
            breaker: BreakerConfiguration(failures: 2, openFor: .milliseconds(50), maximumOpenFor: .milliseconds(100))
        )
        harness.append(["m v=1 1\n"])
        // Failure, failure (opens), failed probe (open again), successful probe.
        #expect(transport.waitForWrites(4)?.count == 4)
        #expect(harness.noticed("Circuit breaker closed: InfluxDB accepts writes again."))
        await harness.stop()
        let warnings = harness.messages(.warning).map { "\($0.message)" }
        #expect(
            warnings == [
                "Circuit breaker opened: no writes until the cool-down ends; the buffer absorbs.",
                "Circuit breaker probe failed: open again.",
            ]
        )
        let counters = harness.counters.snapshot()
        #expect(counters.breakerOpened == 1 && counters.breakerState == 0 && counters.pointsWritten == 1)
        #expect(counters.writeErrors == 3 && counters.requests == 4)
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
        let transport = ScriptedTransport(Array(repeating: .retryable(status: nil, message: "refused"), count: 100))
        let harness = Harness(transport: transport, drain: .milliseconds(300))
        harness.append(["m v=1 1\n", "m v=2 2\n"])
        await harness.stop()
        #expect(harness.counters.snapshot().pointsDropped == 2)
    }

    /// A memory buffer stopped while its batch holds a rejected line the dead-letter file never
    /// took, and lines InfluxDB never answered for: none of them counts as written.
    @Test func aHeldBatchCutShortByTheDrainCountsOnlyStoredLinesAsWritten() async {
        let transport = ScriptedTransport()
        // The bad line is rejected until it is alone (bisection), then the rest get no reply.
        transport.answer = { body in
            body.hasPrefix("m,device_id=a bad")
                ? .rejected(status: 400, message: "unable to parse") : .retryable(status: nil, message: "no reply")
        }
        let harness = Harness(
            transport: transport,
            batchSize: 4,
            drain: .milliseconds(300),
            deadLetterPath: "/dev/null/dead-letters.jsonl"
        )
        harness.append(["m,device_id=a bad 1\n", "m v=2 2\n", "m v=3 3\n", "m v=4 4\n"])
        #expect(poll { (transport.waitForWrites(4)?.count ?? 0) >= 4 })
        await harness.stop()
        let counters = harness.counters.snapshot()
        #expect(counters.pointsWritten == 0 && counters.pointsDropped == 4, "\(counters)")
        #expect(harness.messages(.error).contains { "\($0.message)".hasPrefix("Stopped before the dead-letter file") })
    }

    // MARK: reloaded influxdb settings

    private static let batching = "Batching with the reloaded influxdb settings from the next batch."
    private static let newTransport = "Writing with the reloaded influxdb settings."

    @Test func aReloadedBatchSizeShapesTheNextBatchWithTheSameTransport() async {
        let transport = ScriptedTransport()
        let harness = Harness(transport: transport, batchSize: 2)
        harness.append(["m v=1 1\n", "m v=2 2\n"])
        #expect(transport.waitForWrites(1) == ["m v=1 1\nm v=2 2\n"])
        harness.reload { $0.batchSize = 3 }
        #expect(harness.noticed(Self.batching))
        harness.append(["m v=3 3\n", "m v=4 4\n", "m v=5 5\n"])
        #expect(transport.waitForWrites(2)?.last == "m v=3 3\nm v=4 4\nm v=5 5\n")
        await harness.stop()
        let notice = harness.messages(.notice).first { "\($0.message)" == Self.batching }
        #expect(notice?.metadata["influxdb.batch_size"] == "3")
        #expect(!harness.messages(.notice).contains { "\($0.message)" == Self.newTransport })
    }

    @Test func aReloadedMaxBatchBytesShapesTheNextBatch() async {
        let transport = ScriptedTransport()
        let harness = Harness(transport: transport, batchSize: 3, flushInterval: .milliseconds(100))
        harness.reload { $0.maxBatchBytes = 1024 }
        #expect(harness.noticed(Self.batching))
        // Three 600-byte lines: only one fits in 1024 bytes.
        let lines = (1...3).map { "m v=\($0) \(String(repeating: "0", count: 593))\n" }
        #expect(lines.allSatisfy { $0.utf8.count == 600 })
        harness.append(lines)
        #expect(transport.waitForWrites(3) == lines)
        await harness.stop()
        #expect(harness.counters.snapshot().pointsWritten == 3)
    }

    @Test func aShorterReloadedFlushIntervalEndsTheCurrentWait() async {
        let transport = ScriptedTransport()
        let harness = Harness(transport: transport, flushInterval: .seconds(3600))
        harness.append(["m v=1 1\n"])
        harness.reload { $0.flushInterval = .milliseconds(100) }
        #expect(transport.waitForWrites(1) == ["m v=1 1\n"])
        await harness.stop()
    }

    @Test func aShorterReloadedFlushJitterEndsTheCurrentWait() async {
        let transport = ScriptedTransport()
        // Up to an hour of jitter: the first timed flush is almost surely minutes away.
        let harness = Harness(transport: transport, flushInterval: .milliseconds(100), flushJitter: .seconds(3600))
        harness.append(["m v=1 1\n"])
        harness.reload { $0.flushJitter = .zero }
        #expect(transport.waitForWrites(1) == ["m v=1 1\n"])
        await harness.stop()
    }

    @Test func aReloadedConnectionKeyGetsANewTransportAndClosesTheBreaker() async {
        let transport = ScriptedTransport([.configurationError(status: 401, message: "unauthorized")])
        let harness = Harness(
            transport: transport,
            batchSize: 1,
            breaker: BreakerConfiguration(failures: 1, openFor: .seconds(3600), maximumOpenFor: .seconds(3600))
        )
        harness.append(["m v=1 1\n"])
        #expect(transport.waitForWrites(1)?.count == 1)
        #expect(poll { harness.counters.snapshot().breakerState == 1 })
        harness.reload { $0.token = Secret("fixed") }
        #expect(harness.noticed(Self.newTransport))
        #expect(transport.waitForWrites(2)?.count == 2, "the breaker's hour-long cool-down was cut short")
        await harness.stop()
        #expect(harness.counters.snapshot().breakerState == 0 && harness.counters.snapshot().pointsWritten == 1)
        #expect(!harness.messages(.notice).contains { "\($0.message)" == Self.batching })
    }
}
