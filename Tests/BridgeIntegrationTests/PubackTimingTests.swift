// iotflow-bridge: proof that libmosquitto withholds a QoS 1 PUBACK until the bridge's loop writes.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Glibc
import Mosquitto
import Testing

/// The bridge acknowledges a message only after its points are in the buffer because, in
/// threaded mode, libmosquitto queues the PUBACK before `on_message` and writes it only in
/// `mosquitto_loop_write` (REFERENCE.md §D.3). That is library behaviour, not a documented
/// promise, so this test pins it against the real broker: it reads a QoS 1 message, holds off
/// the write, checks the broker has not logged the PUBACK, then writes and sees it arrive.
@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(1)))
struct PubackTimingTests {
    /// Drives `client` (threaded mode, no write) until `done` holds or 10 s pass.
    private func read(_ client: MosquittoClient, until done: () -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !done() {
            try #require(ContinuousClock.now < deadline, "timed out reading from the broker")
            var descriptor = pollfd(fd: client.socket, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, 100) > 0 { try client.loopRead() }
        }
    }

    @Test func thePubackLeavesOnlyWithLoopWrite() async throws {
        try Integration.requireServers()
        let broker = try MosquittoBroker()
        try await broker.start()
        _ = Integration.librariesReady

        var connected = false
        var subscribed = false
        var received = 0
        var callbacks = MosquittoCallbacks()
        callbacks.onConnect = { result, _ in connected = result == 0 }
        callbacks.onSubscribe = { _, _ in subscribed = true }
        callbacks.onMessage = { message in if message.qos == 1 { received += 1 } }
        let clientID = "puback-\(UUID().uuidString.prefix(8))"
        let client = try MosquittoClient(clientID: clientID, cleanSession: true, threaded: true, callbacks: callbacks)
        try client.connect(host: broker.host, port: Int(broker.port), keepaliveSeconds: 30)
        try client.loopWrite()
        try read(client) { connected }
        try client.subscribe("puback/test", qos: 1)
        try client.loopWrite()
        try read(client) { subscribed }

        try await publishRaw(port: broker.port, topic: "puback/test", payload: "{\"v\": 1}")
        try read(client) { received == 1 }
        // The PUBACK is queued (libmosquitto wants to write) but not sent: give the broker time
        // to log it if it had arrived.
        #expect(client.wantsWrite)
        try await Task.sleep(for: .milliseconds(500))
        let pubackLine = "Received PUBACK from \(clientID)"
        #expect(!broker.logText().contains(pubackLine), "the PUBACK left before loop_write")

        try client.loopWrite()
        try await eventually(timeout: .seconds(10), "the broker received the PUBACK") {
            broker.logText().contains(pubackLine)
        }
        try client.disconnect()
        try client.loopWrite()
    }
}
