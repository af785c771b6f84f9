// iotflow-bridge: one simulator MQTT connection, driven by the unthreaded libmosquitto loop.
// SPDX-License-Identifier: Apache-2.0

import Mosquitto

/// An MQTT connection that its owner drives with `loop(timeoutMilliseconds:)`.
///
/// Confined to the thread that creates it, like the `MosquittoClient` it owns. It watches the
/// CONNACK and the disconnect itself, so the subcommands only deal with their own traffic.
final class BrokerConnection {
    /// The client, for subscribing and publishing; its callbacks run inside `pump`.
    let client: MosquittoClient
    private let options: ConnectionOptions
    private let status: Status

    /// What the connect and disconnect callbacks reported; a class so the callbacks can share it.
    private final class Status {
        var connackCode: CInt?
        var disconnectCode: CInt?
    }

    private var endpoint: String { "\(options.host):\(options.port)" }

    /// Creates the client; `callbacks.onConnect` and `onDisconnect` are replaced.
    init(options: ConnectionOptions, cleanSession: Bool = true, callbacks: MosquittoCallbacks) throws(SimulatorError) {
        let status = Status()
        var callbacks = callbacks
        callbacks.onConnect = { code, _ in status.connackCode = code }
        callbacks.onDisconnect = { code in status.disconnectCode = code }
        do {
            client = try MosquittoClient(
                clientID: options.resolvedClientID,
                cleanSession: cleanSession,
                threaded: false,
                callbacks: callbacks
            )
            if options.caFile != nil {
                try client.setTLS(
                    caFile: options.caFile,
                    caPath: nil,
                    certificateFile: options.certificateFile,
                    keyFile: options.keyFile,
                    minimumVersion: .v1_2,
                    verifyingPeer: true
                )
            }
        } catch {
            throw SimulatorError("cannot create the MQTT client: \(error)")
        }
        self.options = options
        self.status = status
    }

    /// Connects and waits until the broker accepts the connection or `deadline` passes.
    func open(until deadline: ContinuousClock.Instant) throws(SimulatorError) {
        do {
            try client.connect(host: options.host, port: options.port, keepaliveSeconds: 60)
        } catch {
            throw SimulatorError("cannot connect to \(endpoint): \(error)")
        }
        while status.connackCode == nil {
            guard ContinuousClock.now < deadline else {
                throw SimulatorError("no CONNACK from \(endpoint) before the timeout")
            }
            try pump(timeoutMilliseconds: 100)
        }
        try checkConnack()
    }

    /// Runs one pass of libmosquitto's loop, waiting up to `timeoutMilliseconds` (0...1000) for the socket.
    func pump(timeoutMilliseconds: Int) throws(SimulatorError) {
        do {
            try client.loop(timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            // A refused CONNACK also ends the loop with an error; its own text says more.
            try checkConnack()
            throw SimulatorError("lost the connection to \(endpoint): \(error)")
        }
        if let code = status.disconnectCode {
            throw SimulatorError("\(endpoint) closed the connection (libmosquitto code \(code))")
        }
    }

    /// Sends DISCONNECT and gives the loop up to a second to write it and see the socket close.
    func close() {
        guard status.disconnectCode == nil, (try? client.disconnect()) != nil else { return }
        let deadline = ContinuousClock.now + .seconds(1)
        while status.disconnectCode == nil, ContinuousClock.now < deadline {
            // Once the broker closes the socket the loop reports "no connection", which is the goal.
            guard (try? client.loop(timeoutMilliseconds: 100)) != nil else { return }
        }
    }

    private func checkConnack() throws(SimulatorError) {
        if let code = status.connackCode, code != 0 {
            throw SimulatorError("\(endpoint) refused the connection: \(client.connackDescription(code))")
        }
    }
}
