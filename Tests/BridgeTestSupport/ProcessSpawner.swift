// iotflow-bridge: launches child processes from one thread that never exits.
// SPDX-License-Identifier: Apache-2.0

import Dispatch
import Foundation
import Glibc
import Synchronization

/// Runs `Process.run()` on a dedicated thread that lives as long as the test process.
///
/// Children are started under `setpriv --pdeathsig KILL` so the kernel kills them if the test process
/// dies without cleaning up (a crash, a `fatalError`, SIGKILL from a timeout). Linux delivers the
/// parent-death signal when the *thread* that forked the child exits, not the process, and
/// Foundation's `Process.run()` forks on the calling thread. Swift concurrency and Dispatch retire idle
/// worker threads after a few seconds, which would kill a server in the middle of a test (observed: a
/// child started from a short-lived `Thread` was killed as soon as the thread returned). Forking from
/// this one thread ties the children's lifetime to the process instead.
///
/// Safe from any thread.
final class ProcessSpawner: Sendable {
    /// The process-wide spawner; its thread starts on first use.
    static let shared = ProcessSpawner()

    private let jobs = Mutex<[SpawnRequest]>([])
    private let wake = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            // A child inherits the signal mask of the thread that forks it, across exec. This thread may have
            // been created from a Dispatch or Swift-concurrency worker, which run with almost every signal
            // blocked; a server started with SIGTERM blocked never sees it (observed: mosquitto ignored
            // SIGTERM and had to be killed after the 10 s grace period). Foundation does not reset the mask,
            // so clear it here, where every child is forked.
            var unblocked = sigset_t()
            sigemptyset(&unblocked)
            pthread_sigmask(SIG_SETMASK, &unblocked, nil)
            while true {
                wake.wait()
                let request = jobs.withLock { $0.removeFirst() }
                request.perform()
            }
        }
        thread.name = "iotflow-test-spawner"
        thread.start()
    }

    /// Starts `process` from the spawner thread and waits until it has been forked.
    ///
    /// Blocks the calling thread for the few milliseconds a fork takes, at most 10 s.
    func run(_ process: Process) throws {
        let request = SpawnRequest(process)
        jobs.withLock { $0.append(request) }
        wake.signal()
        guard request.done.wait(timeout: .now() + 10) == .success else {
            throw HarnessError("the spawner thread did not start \(process.executableURL?.path ?? "?") in 10 s")
        }
        try request.outcome?.get()
    }
}

/// One pending `Process.run()` call.
///
/// `@unchecked Sendable`: `process` and `outcome` are touched by the requesting thread before `perform()`
/// is queued and after `done` is signalled, and by the spawner thread in between; the queue's mutex and
/// the semaphore order those accesses, so no two threads use them at the same time.
private final class SpawnRequest: @unchecked Sendable {
    let process: Process
    let done = DispatchSemaphore(value: 0)
    var outcome: Result<Void, any Error>?

    init(_ process: Process) {
        self.process = process
    }

    func perform() {
        outcome = Result { try process.run() }
        done.signal()
    }
}
