// iotflow-bridge: blocking work on its own OS thread, awaited from async code, for a service's life.
// SPDX-License-Identifier: Apache-2.0

import Foundation
import Synchronization
import Testing

@testable import Bridge

@Suite(.timeLimit(.minutes(1))) struct DedicatedThreadTests {
    private struct BodyFailed: Error, Equatable {}

    @Test func theBodyRunsOnAThreadOfItsOwnAndJoinReturnsAfterIt() async {
        let seen = Mutex<(isMain: Bool, done: Bool)>((true, false))
        let thread = DedicatedThread(name: "iotflow-test") {
            seen.withLock { $0 = (Thread.isMainThread, true) }
        }
        await thread.join()
        let (isMain, done) = seen.withLock { $0 }
        #expect(done && !isMain)
    }

    /// The kernel knows the thread by its name (what `top -H` and `/proc/<pid>/task/*/comm` show).
    @Test func theKernelKnowsTheThreadByItsName() async {
        let comm = Mutex("")
        let thread = DedicatedThread(name: "iotflow-named") {
            let text = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            comm.withLock { $0 = text }
        }
        await thread.join()
        #expect(comm.withLock { $0 } == "iotflow-named\n")
    }

    @Test func anErrorTheServiceBodyThrowsIsRethrown() async {
        await #expect(throws: BodyFailed()) {
            try await DedicatedThread.runService(name: "iotflow-test", interrupt: {}, body: { _ in throw BodyFailed() })
        }
    }

    /// The body blocks in a wait only `interrupt` ends (as the writer waits for points), so the
    /// service ends only if cancellation both signals the stop and calls `interrupt`.
    @Test func cancellationSignalsTheStopAndCallsInterrupt() async throws {
        let interrupted = Mutex(false)
        let release = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        let stopSeen = Mutex(false)
        let service = Task {
            try await DedicatedThread.runService(
                name: "iotflow-test",
                interrupt: {
                    interrupted.withLock { $0 = true }
                    release.signal()
                },
                body: { stop in
                    entered.signal()
                    release.wait()
                    stopSeen.withLock { $0 = stop.isSignalled }
                }
            )
        }
        // Cancel only once the body is blocked, so the handler, not an early check, ends it.
        await withCheckedContinuation { (running: CheckedContinuation<Void, Never>) in
            Thread {
                entered.wait()
                running.resume()
            }.start()
        }
        service.cancel()
        try await service.value
        #expect(interrupted.withLock { $0 } && stopSeen.withLock { $0 })
    }
}
