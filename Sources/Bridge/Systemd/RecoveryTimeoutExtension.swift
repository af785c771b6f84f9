// iotflow-bridge: more start time from systemd while the durable buffer's recovery makes progress.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore

/// Reports the recovery's progress to a `StartTimeoutExtender` and sends the extensions it asks
/// for (`EXTEND_TIMEOUT_USEC=`, with a `STATUS=` line), so a large buffer on a slow disk is not
/// killed by `TimeoutStartSec=` while each segment still gets read. Without `$NOTIFY_SOCKET` it
/// sends nothing. Used on the thread that runs `BridgeApplication.init`, before READY.
struct RecoveryTimeoutExtension {
    private let notifier: SystemdNotifier?
    private var extender: StartTimeoutExtender

    init(notifier: SystemdNotifier?, startedAt start: ContinuousClock.Instant = .now) {
        self.notifier = notifier
        extender = StartTimeoutExtender(startedAt: start)
    }

    /// The recovery read or recovered a segment at `now`.
    mutating func progressed(at now: ContinuousClock.Instant = .now) {
        guard let notifier, let extendBy = extender.progressed(at: now) else { return }
        notifier.extendTimeout(by: extendBy, status: "Recovering the durable buffer.")
    }
}
