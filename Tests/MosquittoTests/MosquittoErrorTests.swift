// iotflow-bridge: the one place libmosquitto return codes and socket calls become typed errors.
// SPDX-License-Identifier: Apache-2.0

import CMosquitto
import Glibc
import Testing

@testable import Mosquitto

@Suite struct MosquittoErrorTests {
    private let noConnection = MOSQ_ERR_NO_CONN.rawValue
    private let systemError = MOSQ_ERR_ERRNO.rawValue

    @Test func aFailedCallThrowsItsCodeAndFunctionWithLibmosquittosText() throws {
        try check(0, in: "mosquitto_loop_misc")
        let error = try #require(throws: MosquittoError.self) { try check(noConnection, in: "mosquitto_loop_misc") }
        #expect(error.code == noConnection && error.function == "mosquitto_loop_misc")
        #expect(error.description == "mosquitto_loop_misc: The client is not currently connected.")
    }

    @Test func aSystemErrorIsDescribedByItsErrno() {
        let error = MosquittoError(code: systemError, function: "send", systemErrno: EPIPE)
        #expect(error.description == "send: Broken pipe")
    }

    @Test func systemCallsAreRetriedWhileASignalInterruptsThem() throws {
        var calls = 0
        let result = try checkSystemCall(in: "recv") { () -> Int in
            calls += 1
            guard calls == 3 else {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == 7 && calls == 3)
    }

    @Test func aFailedSystemCallThrowsItsErrno() throws {
        let error = try #require(throws: MosquittoError.self) {
            try checkSystemCall(in: "poll") { () -> CInt in
                errno = EBADF
                return -1
            }
        }
        #expect(error.code == systemError && error.function == "poll" && error.systemErrno == EBADF)
    }
}
