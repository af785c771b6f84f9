// iotflow-bridge: how simulated telemetry carries its timestamp.
// SPDX-License-Identifier: Apache-2.0

import ArgumentParser

/// The `timestamp` field of a telemetry payload, as chosen with `--timestamp`.
enum TimestampFormat: String, CaseIterable, ExpressibleByArgument {
    /// No `timestamp` field: the bridge stamps the point itself.
    case omitted = "none"
    /// A JSON string such as `"2025-01-01T12:00:00.042Z"` (UTC, milliseconds).
    case rfc3339
    /// A JSON integer of seconds since 1970.
    case epochSeconds = "epoch-s"
    /// A JSON integer of milliseconds since 1970.
    case epochMilliseconds = "epoch-ms"
}
