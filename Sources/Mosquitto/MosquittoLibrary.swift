// iotflow-bridge: one-time libmosquitto initialisation.
// SPDX-License-Identifier: Apache-2.0

import CMosquitto

/// The process-wide libmosquitto state.
///
/// `mosquitto_lib_init` is not thread-safe: call `initialize()` once from `main` before any
/// thread starts, and `cleanup()` after every client is gone.
public enum MosquittoLibrary {
    /// Initialises libmosquitto. Call once, before starting threads.
    public static func initialize() {
        // mosquitto_lib_init only fails when the random source cannot be opened, which leaves
        // the process unable to make client ids; that is not recoverable.
        precondition(mosquitto_lib_init() == MOSQ_ERR_SUCCESS.rawValue, "mosquitto_lib_init failed")
    }

    /// Releases libmosquitto's global state. Call once, after every client is destroyed.
    public static func cleanup() {
        mosquitto_lib_cleanup()
    }

    /// The linked library's version, for example `2.0.11`.
    public static var version: String {
        var major: CInt = 0
        var minor: CInt = 0
        var revision: CInt = 0
        mosquitto_lib_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }
}
