// iotflow-bridge: the wall-clock time the bridge stamps on points and dead letters.
// SPDX-License-Identifier: Apache-2.0

import Glibc

/// The real-time clock in nanoseconds since the Unix epoch: the intake time of points without a
/// device timestamp, and the time of dead-letter records. `clock_gettime` rather than `Date`,
/// because the MQTT thread calls it once per message and it neither allocates nor rounds
/// through a Double.
enum WallClock {
    static func nanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
