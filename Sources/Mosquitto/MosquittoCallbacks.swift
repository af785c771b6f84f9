// iotflow-bridge: what a MosquittoClient calls back into.
// SPDX-License-Identifier: Apache-2.0

import CMosquitto

/// What a `MosquittoClient` calls back into.
///
/// Every callback runs on the thread that drives the client's loop (`loopRead`, `loopWrite`,
/// `loopMisc` or `loop`), while libmosquitto holds its callback mutex: never call back into the
/// client's callback setters from here, and return quickly, because the loop (and keepalive)
/// waits for the callback.
public struct MosquittoCallbacks {
    /// CONNACK arrived: `result` is the CONNACK code (0 = accepted).
    public var onConnect: (_ result: CInt, _ sessionPresent: Bool) -> Void
    /// The connection ended: `result` 0 means the client asked for it.
    public var onDisconnect: (_ result: CInt) -> Void
    /// A message arrived. For QoS 1 the PUBACK is already queued, but in threaded mode it is
    /// only written by the next `loopWrite()`.
    public var onMessage: (_ message: MosquittoMessage) -> Void
    /// SUBACK arrived: one granted QoS per filter; 128 means the broker refused that filter.
    public var onSubscribe: (_ messageID: CInt, _ grantedQoS: [CInt]) -> Void
    /// A published message completed its QoS handshake (PUBACK for QoS 1).
    public var onPublish: (_ messageID: CInt) -> Void
    /// libmosquitto's own log lines, with its `MOSQ_LOG_*` level.
    public var onLog: ((_ level: CInt, _ text: String) -> Void)?
    /// `MOSQ_LOG_ERR`, the level of libmosquitto's error lines (OpenSSL's among them), for
    /// owners that do not import `CMosquitto`.
    public static let errorLogLevel = CInt(MOSQ_LOG_ERR)

    /// Callbacks that do nothing; set the ones you need.
    public init() {
        onConnect = { _, _ in }
        onDisconnect = { _ in }
        onMessage = { _ in }
        onSubscribe = { _, _ in }
        onPublish = { _ in }
        onLog = nil
    }
}
