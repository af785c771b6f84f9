// iotflow-bridge: locates the server executables the integration tests need.
// SPDX-License-Identifier: Apache-2.0

import Foundation
import Glibc

/// Paths of the server executables, or `nil` when one is not installed.
///
/// Each property checks the Debian location first and then every directory in `PATH`; a file counts only
/// if it is executable by this process. Safe from any thread; nothing is cached, so installing a server
/// while the tests run is noticed.
public enum ServerBinaries {
    /// The mosquitto broker: `/usr/sbin/mosquitto` on Debian (not in a normal user's `PATH`).
    public static var mosquitto: String? { find("mosquitto", preferring: "/usr/sbin/mosquitto") }

    /// InfluxDB 1.x: `/usr/bin/influxd` from Debian's `influxdb` package.
    public static var influxd: String? { find("influxd", preferring: "/usr/bin/influxd") }

    /// Single-node VictoriaMetrics: `/usr/bin/victoria-metrics` from Debian's `victoria-metrics` package.
    public static var victoriaMetrics: String? {
        find("victoria-metrics", preferring: "/usr/bin/victoria-metrics")
    }

    static func find(_ name: String, preferring preferred: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = [preferred] + path.split(separator: ":").map { "\($0)/\(name)" }
        return candidates.first { access($0, X_OK) == 0 }
    }
}
