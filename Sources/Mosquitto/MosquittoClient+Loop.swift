// iotflow-bridge: driving a client's network loop from the owner's thread.
// SPDX-License-Identifier: Apache-2.0

import CMosquitto

extension MosquittoClient {
    /// The connection's socket, or -1 when not connected.
    public var socket: CInt { mosquitto_socket(handle) }

    /// Whether libmosquitto has queued packets to write.
    public var wantsWrite: Bool { mosquitto_want_write(handle) }

    /// Reads and handles what the socket holds (at least one packet when one is complete),
    /// calling the callbacks.
    public func loopRead() throws(MosquittoError) {
        try check(mosquitto_loop_read(handle, 1), in: "mosquitto_loop_read")
    }

    /// Writes queued packets, PUBACKs included.
    public func loopWrite() throws(MosquittoError) {
        try check(mosquitto_loop_write(handle, 1), in: "mosquitto_loop_write")
    }

    /// Keepalive housekeeping: sends PINGREQ when due and detects a dead connection.
    /// Call at least once a second.
    public func loopMisc() throws(MosquittoError) {
        try check(mosquitto_loop_misc(handle), in: "mosquitto_loop_misc")
    }

    /// One pass of libmosquitto's own select/read/write/misc loop, for unthreaded clients.
    public func loop(timeoutMilliseconds: Int) throws(MosquittoError) {
        try check(mosquitto_loop(handle, CInt(timeoutMilliseconds), 1), in: "mosquitto_loop")
    }
}
