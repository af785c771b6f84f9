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
            // Named from inside: on Linux, Foundation passes a name to the kernel only when it is
            // set on the current thread; set before `start()`, the thread kept its spawner's name.
            Thread.current.name = name
            body()
            finished.fire()
        }
        thread.start()
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
