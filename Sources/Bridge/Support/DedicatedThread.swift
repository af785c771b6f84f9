// iotflow-bridge: blocking work on its own OS thread, awaited from async code.
// SPDX-License-Identifier: Apache-2.0

import Foundation
import ServiceLifecycle
import Synchronization

/// Runs a blocking body on a dedicated OS thread (never Swift's cooperative pool, which blocking
/// libmosquitto and libcurl calls would starve) and lets async code await its end.
/// Safe from any thread.
final class DedicatedThread: Sendable {
    private let finished = ReadinessEvent()

    /// Starts `body` on a new thread named `name` (at most 15 bytes; visible in `top -H`,
    /// `/proc/<pid>/task/*/comm` and core dumps).
    init(name: String, body: @escaping @Sendable () -> Void) {
        let thread = Thread { [finished] in
            Self.nameThisThread(name)
            body()
            finished.fire()
        }
        thread.start()
    }

    /// Gives the calling thread `name` (at most 15 bytes) in the kernel. Foundation's
    /// `Thread.name` does not reach it reliably on Linux (the thread kept its spawner's name, e.g.
    /// "oot.default-qos"), and `prctl(PR_SET_NAME)` is variadic, so the thread writes its own
    /// `/proc/thread-self/comm`, which is what that call sets.
    private static func nameThisThread(_ name: String) {
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = write(descriptor, bytes, bytes.count)
        close(descriptor)
    }

    /// Returns once the body has returned.
    func join() async {
        await finished.wait()
    }

    /// Runs `body` on a thread named `name` for the life of a service: graceful shutdown or
    /// cancellation signals the `WakeSignal` the body watches and calls `interrupt` (to end
    /// waits the body may be blocked in), then this returns once the body has. An error the body
    /// throws is rethrown here, which ends the service and so the service group.
    static func runService(
        name: String,
        interrupt: @escaping @Sendable () -> Void,
        body: @escaping @Sendable (WakeSignal) throws -> Void
    ) async throws {
        let stop = WakeSignal()
        let failure = Mutex<(any Error)?>(nil)
        let thread = DedicatedThread(name: name) {
            do {
                try body(stop)
            } catch {
                failure.withLock { $0 = error }
            }
        }
        let stopBody: @Sendable () -> Void = {
            stop.signal()
            interrupt()
        }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await thread.join()
            } onGracefulShutdown: {
                stopBody()
            }
        } onCancel: {
            stopBody()
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
