// iotflow-bridge: the Bridge module's one error type.
// SPDX-License-Identifier: Apache-2.0

import Glibc

/// What the Bridge module throws: one line for the journal, naming what failed and, for a
/// system call, the file and the system's reason.
///
/// - The durable buffer's files (`FileIO`), the dead-letter file and the device registry file
///   throw it for a failed open, read, write or sync, or content they cannot use.
/// - A service throws it from `run()` when it cannot go on (its client cannot be set up): the
///   service group ends, and with it the process, with a non-zero exit.
///
/// Weather (a broker down, a failed write to InfluxDB) is handled where it happens and never
/// becomes one. The other modules have their own: `ConfigurationError` (BridgeCore),
/// `MosquittoError`, `CurlError`.
public struct BridgeError: Error, CustomStringConvertible, Sendable {
    /// What failed.
    public var description: String

    init(_ description: String) {
        self.description = description
    }

    /// `what` failed on `path` with the current `errno`.
    static func system(_ what: String, _ path: String) -> BridgeError {
        BridgeError("\(what) \(path): \(String(cString: strerror(errno)))")
    }
}
