// iotflow-bridge: a borrowed view of a message libmosquitto delivered.
// SPDX-License-Identifier: Apache-2.0

import CMosquitto
import Glibc

/// A message as libmosquitto hands it to `on_message`.
///
/// The view borrows libmosquitto's memory, which is freed as soon as the callback returns:
/// copy whatever must outlive the call. Nothing here allocates.
public struct MosquittoMessage {
    /// The packet id (0 for QoS 0).
    public let messageID: CInt
    /// The topic's UTF-8 bytes, without the terminating NUL.
    public let topic: UnsafeRawBufferPointer
    /// The payload bytes (may be empty).
    public let payload: UnsafeRawBufferPointer
    /// The QoS the message was delivered with.
    public let qos: CInt
    /// Whether the broker flagged it as a retained message.
    public let retain: Bool

    init(_ message: UnsafePointer<mosquitto_message>) {
        let raw = message.pointee
        self.messageID = raw.mid
        if let topic = raw.topic {
            self.topic = UnsafeRawBufferPointer(start: topic, count: strlen(topic))
        } else {
            self.topic = UnsafeRawBufferPointer(start: nil, count: 0)
        }
        self.payload = UnsafeRawBufferPointer(start: raw.payload, count: Int(max(raw.payloadlen, 0)))
        self.qos = raw.qos
        self.retain = raw.retain
    }
}

@available(*, unavailable, message: "A MosquittoMessage is only valid during the callback")
extension MosquittoMessage: Sendable {}
