// iotflow-bridge: blocking work on its own OS thread, awaited from async code.
// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Runs a blocking body on a dedicated OS thread (never Swift's cooperative pool, which blocking
/// libmosquitto and libcurl calls would starve) and lets async code await its end.
/// Safe from any thread.
final class DedicatedThread: Sendable {
    private let finished = ReadinessEvent()

    /// Starts `body` on a new thread named `name` (visible in `top -H` and core dumps).
    init(name: String, body: @escaping @Sendable () -> Void) {
        let thread = Thread { [finished] in
            body()
            finished.fire()
        }
        thread.name = name
        thread.start()
    }

    /// Returns once the body has returned.
    func join() async {
        await finished.wait()
    }
}
