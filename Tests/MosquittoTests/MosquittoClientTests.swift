// iotflow-bridge: real libmosquitto against a real mosquitto broker on loopback.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import CMosquitto
import Foundation
import Glibc
import Mosquitto
import Testing

private let bootstrap: Void = MosquittoLibrary.initialize()

/// What the callbacks saw; touched only by the test's thread, which drives the loop.
private final class Events {
    var connected = false
    var subscribed = false
    var messages = 0
    var disconnects: [CInt] = []
}

@Suite(.serialized, .timeLimit(.minutes(1))) struct MosquittoClientTests {
    init() {
        _ = bootstrap
    }

    /// At the disconnect the client holds an unwritten PUBACK and the broker's next message is
    /// unread: the broker must read the PUBACK, then DISCONNECT, and the socket must end closed.
    @Test func disconnectGracefullyWritesQueuedPacketsThenADisconnectTheBrokerReads() async throws {
        let broker = try MosquittoBroker()
        try await broker.start()
        let clientID = "graceful-\(getpid())"
        let events = Events()
        var callbacks = MosquittoCallbacks()
        callbacks.onConnect = { result, _ in events.connected = result == 0 }
        callbacks.onSubscribe = { _, _ in events.subscribed = true }
        callbacks.onMessage = { _ in events.messages += 1 }
        callbacks.onDisconnect = { result in events.disconnects.append(result) }
        let client = try MosquittoClient(clientID: clientID, cleanSession: true, threaded: true, callbacks: callbacks)
        try client.connect(host: broker.host, port: Int(broker.port), keepaliveSeconds: 30)
        try pump(client) { events.connected }
        try client.subscribe("graceful/#", qos: 1)
        try pump(client) { events.subscribed }

        let publisher = try Publisher(broker: broker)
        try publisher.publish()
        // Stops as soon as the message is read: its PUBACK is queued, not written.
        try pump(client) { events.messages == 1 }
        #expect(client.wantsWrite)
        try publisher.publish()
        try #require(waitForUnreadData(on: client.socket), "the second message did not arrive in 5 s")

        try client.disconnectGracefully(timeout: .seconds(5))

        #expect(client.socket == -1)
        #expect(events.disconnects == [0] && events.messages == 1)
        let log = broker.logText()
        let puback = try #require(log.range(of: "Received PUBACK from \(clientID)"), "\(log)")
        let disconnect = try #require(log.range(of: "Received DISCONNECT from \(clientID)"), "\(log)")
        #expect(puback.upperBound <= disconnect.lowerBound)
        #expect(!log.contains("Client \(clientID) closed its connection"), "\(log)")
    }

    @Test func disconnectGracefullyWithoutAConnectionThrowsAndReportsNothing() throws {
        let events = Events()
        var callbacks = MosquittoCallbacks()
        callbacks.onDisconnect = { result in events.disconnects.append(result) }
        let client = try MosquittoClient(clientID: nil, cleanSession: true, threaded: true, callbacks: callbacks)
        let error = try #require(throws: MosquittoError.self) { try client.disconnectGracefully(timeout: .seconds(1)) }
        #expect(error.code == MOSQ_ERR_NO_CONN.rawValue)
        #expect(events.disconnects.isEmpty)
    }

    /// Whether data arrives on `socket` within 5 s; nothing is read.
    private func waitForUnreadData(on socket: CInt) -> Bool {
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 5_000) == 1
    }

    /// Drives the client's loop until `condition` holds, for at most 5 s: reads when the socket
    /// has data, and writes only when nothing was read, so a packet read leaves its reply queued.
    private func pump(_ client: MosquittoClient, until condition: () -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            try #require(ContinuousClock.now < deadline, "the broker did not answer in 5 s")
            var descriptor = pollfd(
                fd: client.socket,
                events: Int16(POLLIN | (client.wantsWrite ? POLLOUT : 0)),
                revents: 0
            )
            _ = poll(&descriptor, 1, 100)
            if descriptor.revents & Int16(POLLIN) != 0 {
                try client.loopRead()
            } else if client.wantsWrite {
                try client.loopWrite()
            }
            try client.loopMisc()
        }
    }
}

/// A second, unthreaded client that publishes QoS 1 messages to the subscriber's topic.
private final class Publisher {
    private let client: MosquittoClient
    private let events = Events()

    init(broker: MosquittoBroker) throws {
        var callbacks = MosquittoCallbacks()
        callbacks.onConnect = { [events] result, _ in events.connected = result == 0 }
        callbacks.onPublish = { [events] _ in events.messages += 1 }
        client = try MosquittoClient(clientID: nil, cleanSession: true, threaded: false, callbacks: callbacks)
        try client.connect(host: broker.host, port: Int(broker.port), keepaliveSeconds: 30)
        try loop { events.connected }
    }

    /// Publishes one message and returns once the broker acknowledged it, so it went out to
    /// the subscriber first.
    func publish() throws {
        let acknowledged = events.messages + 1
        let payload: [UInt8] = Array("1".utf8)
        try payload.withUnsafeBytes { _ = try client.publish(topic: "graceful/t", payload: $0, qos: 1) }
        try loop { events.messages == acknowledged }
    }

    private func loop(until condition: () -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            try #require(ContinuousClock.now < deadline, "the broker did not answer the publisher in 5 s")
            try client.loop(timeoutMilliseconds: 100)
        }
    }
}
