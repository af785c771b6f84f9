// iotflow-bridge: typed errors for libmosquitto return codes.
// SPDX-License-Identifier: Apache-2.0

import CMosquitto
import Glibc

/// An error returned by a libmosquitto call.
///
/// `code` is the `MOSQ_ERR_*` value; `function` names the libmosquitto call (or, for the
/// wrapper's own socket I/O, the system call) that failed. For `MOSQ_ERR_ERRNO`, `systemErrno`
/// carries the `errno` captured right after the call.
public struct MosquittoError: Error, CustomStringConvertible, Sendable {
    /// The `MOSQ_ERR_*` value.
    public let code: CInt
    /// The libmosquitto function (or system call) that returned it.
    public let function: String
    /// The `errno` captured after the call; it explains the failure only when `code` is
    /// `MOSQ_ERR_ERRNO`.
    public let systemErrno: CInt

    /// One line for logs: the function and libmosquitto's (or the system's) message.
    public var description: String {
        if mosq_err_t(rawValue: code) == MOSQ_ERR_ERRNO {
            return "\(function): \(String(cString: strerror(systemErrno)))"
        }
        return "\(function): \(String(cString: mosquitto_strerror(code)))"
    }
}

/// Turns a libmosquitto return code into a thrown `MosquittoError`.
///
/// `MOSQ_ERR_INVAL` can only mean that the bridge passed arguments its own validation should
/// have refused, so it traps (a bug, not weather).
@inline(__always)
func check(_ code: CInt, in function: String) throws(MosquittoError) {
    guard code != MOSQ_ERR_SUCCESS.rawValue else { return }
    let savedErrno = errno
    precondition(code != MOSQ_ERR_INVAL.rawValue, "\(function) was called with invalid arguments")
    throw MosquittoError(code: code, function: function, systemErrno: savedErrno)
}

/// Makes a system call on libmosquitto's socket, retrying it while a signal interrupts it, and
/// turns a failure into a thrown `MosquittoError` with `MOSQ_ERR_ERRNO` and the call's `errno`.
///
/// - Returns: the call's non-negative result.
@inline(__always)
func checkSystemCall<Result: BinaryInteger>(
    in function: String,
    _ call: () -> Result
) throws(MosquittoError) -> Result {
    while true {
        let result = call()
        if result >= 0 { return result }
        let savedErrno = errno
        guard savedErrno == EINTR else {
            throw MosquittoError(code: MOSQ_ERR_ERRNO.rawValue, function: function, systemErrno: savedErrno)
        }
    }
}
