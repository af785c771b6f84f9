// iotflow-bridge: sd_notify messages to the service manager.
// SPDX-License-Identifier: Apache-2.0

import CSystemd
import Glibc

/// Sends state messages (`READY=1`, `STATUS=`, `WATCHDOG=1`, …) to systemd through libsystemd's
/// `sd_notify`, which reads `$NOTIFY_SOCKET` (a path, or `@` for the abstract namespace) as
/// systemd sets it. Exists only when that variable is set: outside systemd nothing is sent.
///
/// The watchdog interval comes from `sd_watchdog_enabled`: `$WATCHDOG_USEC`, when `$WATCHDOG_PID`
/// is unset or names this process. Safe from any thread (`sd_notify` opens its own socket per call).
struct SystemdNotifier: Sendable {
    /// `WATCHDOG_USEC` as a duration; nil when systemd watches nothing (no `WatchdogSec=`).
    let watchdogInterval: Duration?

    /// The notifier systemd asked for, or nil when `$NOTIFY_SOCKET` is not set.
    static func fromEnvironment() -> SystemdNotifier? {
        guard let socket = getenv("NOTIFY_SOCKET"), socket.pointee != 0 else { return nil }
        var microseconds: UInt64 = 0
        let enabled = sd_watchdog_enabled(0, &microseconds) > 0 && microseconds > 0
        return SystemdNotifier(watchdogInterval: enabled ? .microseconds(Int64(clamping: microseconds)) : nil)
    }

    /// Sends `fields` (each `KEY=value`, no line breaks) as one message; returns a failure's
    /// reason (errno text), or nil once sent.
    @discardableResult
    func send(_ fields: [String]) -> String? {
        let result = sd_notify(0, fields.joined(separator: "\n"))
        return result < 0 ? String(cString: strerror(-result)) : nil
    }

    /// `EXTEND_TIMEOUT_USEC=` for `duration` from now, with `status` as `STATUS=` when given.
    @discardableResult
    func extendTimeout(by duration: Duration, status: String? = nil) -> String? {
        send(["EXTEND_TIMEOUT_USEC=\(Self.microseconds(duration))"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// Whole microseconds in `duration`, as the `*_USEC=` fields take them.
    static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (CLOCK_MONOTONIC now, which systemd uses to tell this
    /// reload from a later one).
    func reloading() -> String? {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
        return send(["RELOADING=1", "MONOTONIC_USEC=\(microseconds)", "STATUS=Reloading the configuration."])
    }
}
