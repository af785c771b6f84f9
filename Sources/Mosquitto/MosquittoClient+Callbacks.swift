// iotflow-bridge: the C callbacks libmosquitto calls, bridged to the client's MosquittoCallbacks.
// SPDX-License-Identifier: Apache-2.0

import CMosquitto

extension MosquittoClient {
    /// Points libmosquitto's callbacks at the trampolines below, which find this client through
    /// the user pointer. The log callback is set only when there is someone to hear it, since
    /// libmosquitto formats every line it passes on.
    func installCallbacks() {
        mosquitto_connect_with_flags_callback_set(handle, mosquittoConnectTrampoline)
        mosquitto_disconnect_callback_set(handle, mosquittoDisconnectTrampoline)
        mosquitto_message_callback_set(handle, mosquittoMessageTrampoline)
        mosquitto_subscribe_callback_set(handle, mosquittoSubscribeTrampoline)
        mosquitto_publish_callback_set(handle, mosquittoPublishTrampoline)
        if callbacks.onLog != nil {
            mosquitto_log_callback_set(handle, mosquittoLogTrampoline)
        }
    }
}

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

func mosquittoLogTrampoline(
    _: OpaquePointer?,
    _ context: UnsafeMutableRawPointer?,
    _ level: CInt,
    _ text: UnsafePointer<CChar>?
) {
    guard let text else { return }
    client(context).callbacks.onLog?(level, String(cString: text))
}
