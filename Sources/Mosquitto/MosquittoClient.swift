// iotflow-bridge: one libmosquitto client handle and its callbacks.
// SPDX-License-Identifier: Apache-2.0

import CMosquitto
import Glibc

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

/// One libmosquitto client (`struct mosquitto *`).
///
/// Confined to one thread: the thread that creates it drives its loop, and the callbacks run
/// there. The handle is destroyed in `deinit`; libmosquitto's user pointer is this object,
/// unretained, which is safe because the handle never outlives it.
public final class MosquittoClient {
    let handle: OpaquePointer
    fileprivate let callbacks: MosquittoCallbacks
    /// Set while `disconnectGracefully` lets libmosquitto close a connection the broker ended
    /// after this client's DISCONNECT, so `onDisconnect` reports 0 (asked for), not a lost one.
    var closingAfterDisconnect = false
    /// Whether the client speaks MQTT 5 (reason codes instead of 3.1.1 return codes).
    public let mqtt5: Bool

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - clientID: the MQTT client id; required when `cleanSession` is false.
    ///   - cleanSession: false keeps the broker-side session (subscriptions and queued QoS 1
    ///     messages) across disconnects.
    ///   - threaded: true when the owner drives the loop with `loopRead`/`loopWrite`/`loopMisc`;
    ///     libmosquitto then queues outgoing packets (PUBACKs included) until `loopWrite()`.
    ///   - mqtt5: true for MQTT 5, false for 3.1.1. With MQTT 5, `cleanSession` is the CONNECT's
    ///     clean-start flag, and the session outlives a disconnect only as long as the
    ///     session-expiry interval passed to `connect`.
    public init(
        clientID: String?,
        cleanSession: Bool,
        threaded: Bool,
        mqtt5: Bool = false,
        callbacks: MosquittoCallbacks
    ) throws(MosquittoError) {
        guard let handle = mosquitto_new(clientID, cleanSession, nil) else {
            throw MosquittoError(code: MOSQ_ERR_ERRNO.rawValue, function: "mosquitto_new", systemErrno: errno)
        }
        self.handle = handle
        self.callbacks = callbacks
        self.mqtt5 = mqtt5
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        if threaded {
            try check(mosquitto_threaded_set(handle, true), in: "mosquitto_threaded_set")
        }
        if mqtt5 {
            try check(
                mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5),
                in: "mosquitto_int_option"
            )
        }
        mosquitto_connect_with_flags_callback_set(handle, mosquittoConnectTrampoline)
        mosquitto_disconnect_callback_set(handle, mosquittoDisconnectTrampoline)
        mosquitto_message_callback_set(handle, mosquittoMessageTrampoline)
        mosquitto_subscribe_callback_set(handle, mosquittoSubscribeTrampoline)
        mosquitto_publish_callback_set(handle, mosquittoPublishTrampoline)
        if callbacks.onLog != nil {
            mosquitto_log_callback_set(handle, mosquittoLogTrampoline)
        }
    }

    deinit {
        mosquitto_destroy(handle)
    }

    // MARK: - Setup

    /// Sets the username and password sent in CONNECT. Call before `connect`.
    public func setCredentials(username: String, password: String?) throws(MosquittoError) {
        try check(mosquitto_username_pw_set(handle, username, password), in: "mosquitto_username_pw_set")
    }

    /// Sets the number of QoS 1/2 messages this client sends without waiting for their
    /// acknowledgement (`MOSQ_OPT_SEND_MAXIMUM`, default 20).
    public func setSendMaximum(_ count: Int) throws(MosquittoError) {
        try check(
            mosquitto_int_option(handle, MOSQ_OPT_SEND_MAXIMUM, CInt(clamping: count)),
            in: "mosquitto_int_option"
        )
    }

    // MARK: - Connection

    /// Opens the TCP connection and sends CONNECT; blocks for the TCP handshake only.
    /// The CONNACK arrives later through `onConnect`.
    ///
    /// - Parameter sessionExpirySeconds: with MQTT 5, the CONNECT's session-expiry interval
    ///   (0xFFFFFFFF: never). MQTT 5 brokers end a session at disconnect without it, whatever
    ///   the clean-start flag says, and libmosquitto does not add it. Ignored for MQTT 3.1.1.
    public func connect(
        host: String,
        port: Int,
        keepaliveSeconds: Int,
        sessionExpirySeconds: UInt32 = 0
    )
        throws(MosquittoError)
    {
        guard mqtt5 else {
            try check(mosquitto_connect(handle, host, CInt(port), CInt(keepaliveSeconds)), in: "mosquitto_connect")
            return
        }
        var properties: OpaquePointer?
        defer { mosquitto_property_free_all(&properties) }
        try check(
            mosquitto_property_add_int32(
                &properties,
                CInt(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue),
                sessionExpirySeconds
            ),
            in: "mosquitto_property_add_int32"
        )
        try check(
            mosquitto_connect_bind_v5(handle, host, CInt(port), CInt(keepaliveSeconds), nil, properties),
            in: "mosquitto_connect_bind_v5"
        )
    }

    /// Sends DISCONNECT; queued outgoing packets are written first by the next `loopWrite()`.
    ///
    /// libmosquitto closes the socket as soon as DISCONNECT is written, so what the broker had
    /// not read yet may be lost; see `disconnectGracefully(timeout:)`.
    public func disconnect() throws(MosquittoError) {
        try check(mosquitto_disconnect(handle), in: "mosquitto_disconnect")
    }

    /// Which retained messages an MQTT 5 subscription asks the broker for (Retain Handling,
    /// MQTT 5 §3.8.3.1); MQTT 3.1.1 has no such option and always gets them.
    public enum RetainHandling: Sendable {
        /// Every subscribe, as in MQTT 3.1.1.
        case always
        /// Only when the subscription did not exist yet (a persistent session keeps it).
        case newSubscriptionOnly
        /// Never.
        case never
    }

    /// Subscribes to one topic filter; the SUBACK arrives through `onSubscribe`. `retained`
    /// applies to MQTT 5 clients only.
    @discardableResult
    public func subscribe(
        _ filter: String,
        qos: Int,
        retained: RetainHandling = .always
    ) throws(MosquittoError)
        -> CInt
    {
        var messageID: CInt = 0
        guard mqtt5 else {
            try check(mosquitto_subscribe(handle, &messageID, filter, CInt(qos)), in: "mosquitto_subscribe")
            return messageID
        }
        let options: CInt
        switch retained {
        case .always: options = CInt(MQTT_SUB_OPT_SEND_RETAIN_ALWAYS.rawValue)
        case .newSubscriptionOnly: options = CInt(MQTT_SUB_OPT_SEND_RETAIN_NEW.rawValue)
        case .never: options = CInt(MQTT_SUB_OPT_SEND_RETAIN_NEVER.rawValue)
        }
        try check(
            mosquitto_subscribe_v5(handle, &messageID, filter, CInt(qos), options, nil),
            in: "mosquitto_subscribe_v5"
        )
        return messageID
    }

    /// Queues a message for publishing and returns its packet id.
    @discardableResult
    public func publish(
        topic: String,
        payload: UnsafeRawBufferPointer,
        qos: Int,
        retain: Bool = false
    ) throws(MosquittoError) -> CInt {
        var messageID: CInt = 0
        try check(
            mosquitto_publish(handle, &messageID, topic, CInt(payload.count), payload.baseAddress, CInt(qos), retain),
            in: "mosquitto_publish"
        )
        return messageID
    }

    // MARK: - Loop

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

    /// Whether `filter` is a valid subscription filter.
    public static func isValidFilter(_ filter: String) -> Bool {
        mosquitto_sub_topic_check(filter) == MOSQ_ERR_SUCCESS.rawValue
    }

    /// libmosquitto's text for a CONNACK code (an MQTT 5 reason code for an MQTT 5 client).
    public func connackDescription(_ code: CInt) -> String {
        String(cString: mqtt5 ? mosquitto_reason_string(code) : mosquitto_connack_string(code))
    }
}

@available(*, unavailable, message: "A MosquittoClient is confined to the thread that drives its loop")
extension MosquittoClient: Sendable {}

// MARK: - C trampolines

private func client(_ context: UnsafeMutableRawPointer?) -> MosquittoClient {
    // The user pointer is set in init before any callback can run, and the handle dies with
    // the client, so it is never nil or dangling here.
    guard let context else { preconditionFailure("libmosquitto called back without the client's user pointer") }
    return Unmanaged<MosquittoClient>.fromOpaque(context).takeUnretainedValue()
}

private func mosquittoConnectTrampoline(
    _: OpaquePointer?,
    _ context: UnsafeMutableRawPointer?,
    _ result: CInt,
    _ flags: CInt
) {
    client(context).callbacks.onConnect(result, flags & 1 == 1)
}

private func mosquittoDisconnectTrampoline(_: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ result: CInt) {
    let client = client(context)
    client.callbacks.onDisconnect(client.closingAfterDisconnect ? 0 : result)
}

private func mosquittoMessageTrampoline(
    _: OpaquePointer?,
    _ context: UnsafeMutableRawPointer?,
    _ message: UnsafePointer<mosquitto_message>?
) {
    guard let message else { return }
    client(context).callbacks.onMessage(MosquittoMessage(message))
}

private func mosquittoSubscribeTrampoline(
    _: OpaquePointer?,
    _ context: UnsafeMutableRawPointer?,
    _ messageID: CInt,
    _ count: CInt,
    _ granted: UnsafePointer<CInt>?
) {
    let grantedQoS = granted.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? []
    client(context).callbacks.onSubscribe(messageID, grantedQoS)
}

private func mosquittoPublishTrampoline(_: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ messageID: CInt) {
    client(context).callbacks.onPublish(messageID)
}

private func mosquittoLogTrampoline(
    _: OpaquePointer?,
    _ context: UnsafeMutableRawPointer?,
    _ level: CInt,
    _ text: UnsafePointer<CChar>?
) {
    guard let text else { return }
    client(context).callbacks.onLog?(level, String(cString: text))
}
