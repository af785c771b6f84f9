// iotflow-bridge: process-wide C library set-up, once, before any thread.
// SPDX-License-Identifier: Apache-2.0

import Curl
import Mosquitto

/// Initialises libmosquitto and libcurl, whose global init functions are not thread-safe:
/// call `initialize()` from `main` before starting services, `cleanup()` after they stop.
public enum LibraryBootstrap {
    /// Initialises both libraries.
    public static func initialize() {
        MosquittoLibrary.initialize()
        CurlLibrary.initialize()
    }

    /// Releases both libraries' global state.
    public static func cleanup() {
        CurlLibrary.cleanup()
        MosquittoLibrary.cleanup()
    }
}

/// What `--version` prints.
public enum BuildInfo {
    /// The bridge's version and the C libraries it runs with.
    public static var version: String {
        "0.1.0 (libmosquitto \(MosquittoLibrary.version), \(CurlLibrary.version.prefix { $0 != " " }))"
    }
}
