// iotflow-bridge: one libmosquitto client handle: setup, connection, subscriptions and publishing.
// SPDX-License-Identifier: Apache-2.0

import CMosquitto
import Glibc

/// One libmosquitto client (`struct mosquitto *`).
///
/// Confined to one thread: the thread that creates it drives its loop, and the callbacks run
/// there. The handle is destroyed in `deinit`; libmosquitto's user pointer is this object,
/// unretained, which is safe because the handle never outlives it.
public final class MosquittoClient {
    let handle: OpaquePointer
    let callbacks: MosquittoCallbacks
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
        installCallbacks()
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
