// iotflow-bridge: a DISCONNECT that reaches the broker with everything written before it.
// SPDX-License-Identifier: Apache-2.0

import CMosquitto
import Glibc

extension MosquittoClient {
    /// Writes the queued packets, then DISCONNECT, and lets the socket close only once the
    /// broker has closed its side, so the broker reads everything this client wrote.
    ///
    /// Why not `disconnect()`: libmosquitto closes the socket as soon as it has written
    /// DISCONNECT. With the broker's next messages still unread, the kernel then sends RST
    /// instead of FIN, and the broker drops what it had not read yet, the last PUBACKs among it
    /// (its log shows "closed its connection" with no "Received DISCONNECT"), so it would resend
    /// messages this client already acknowledged.
    ///
    /// So this method writes DISCONNECT (0xE0 0x00, the same in MQTT 3.1.1 and 5) on the socket
    /// itself, half-closes it (`shutdown(SHUT_WR)`), and reads and discards what the broker still
    /// sends until the broker closes the connection, which it does on DISCONNECT. The discarded
    /// messages were never acknowledged, so the broker keeps them for the next connection (QoS 1,
    /// persistent session). With nothing left unread, libmosquitto then closes the socket (the
    /// kernel sends FIN, not RST) and calls `onDisconnect` with 0.
    ///
    /// On return the client is disconnected (`socket` is -1). After a throw the connection may be
    /// half-closed: destroy the client or `connect` again.
    ///
    /// - Parameter timeout: how long to wait for the broker to close the connection.
    /// - Throws: `MosquittoError` with `MOSQ_ERR_NO_CONN` when not connected; the
    ///   `loopWrite()` error when the queued packets cannot be written; `MOSQ_ERR_ERRNO` with
    ///   `EAGAIN` when the socket takes no more of them now (DISCONNECT must come last);
    ///   `MOSQ_ERR_ERRNO` when a system call on the socket fails; `MOSQ_ERR_TIMEOUT` when the
    ///   broker has not closed the connection within `timeout`.
    public func disconnectGracefully(timeout: Duration) throws(MosquittoError) {
        // Checked first: `loopWrite()` on a closed connection would call `onDisconnect` again.
        guard socket >= 0 else {
            throw MosquittoError(code: MOSQ_ERR_NO_CONN.rawValue, function: "mosquitto_socket", systemErrno: 0)
        }
        try loopWrite()
        guard !wantsWrite else {
            throw MosquittoError(code: MOSQ_ERR_ERRNO.rawValue, function: "mosquitto_loop_write", systemErrno: EAGAIN)
        }
        let socket = self.socket
        let disconnect: [UInt8] = [0xE0, 0x00]
        let sent = try checkSystemCall(in: "send") { send(socket, disconnect, disconnect.count, Int32(MSG_NOSIGNAL)) }
        guard sent == disconnect.count else {
            throw MosquittoError(code: MOSQ_ERR_ERRNO.rawValue, function: "send", systemErrno: EAGAIN)
        }
        _ = try checkSystemCall(in: "shutdown") { shutdown(socket, Int32(SHUT_WR)) }
        try discardUntilClosed(socket, timeout: timeout)
        closingAfterDisconnect = true
        defer { closingAfterDisconnect = false }
        // The broker closed and nothing is unread: libmosquitto's read sees the end of the stream
        // and closes the socket, which is what it reports as a lost connection.
        let code = mosquitto_loop_read(handle, 1)
        if code != MOSQ_ERR_CONN_LOST.rawValue {
            try check(code, in: "mosquitto_loop_read")
        }
    }

    /// Reads and discards what arrives on `socket` until the peer closes it, for at most `timeout`.
    private func discardUntilClosed(_ socket: CInt, timeout: Duration) throws(MosquittoError) {
        let deadline = ContinuousClock.now + timeout
        var scratch = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard try checkSystemCall(in: "poll", { poll(&descriptor, 1, 100) }) > 0 else { continue }
            let read = try checkSystemCall(in: "recv") {
                scratch.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            }
            if read == 0 { return }
        }
        throw MosquittoError(code: MOSQ_ERR_TIMEOUT.rawValue, function: "poll", systemErrno: 0)
    }
}
