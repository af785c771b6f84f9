// iotflow-bridge: the MQTT thread's TLS: set up the client, hear OpenSSL's reason, report a failure once.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Glibc
import Mosquitto

/// What the MQTT thread knows about TLS between connects.
struct MQTTIntakeTLS {
    /// Whether `setTLS` succeeded; until then every connect tries again (a file may be fixed).
    var isSetUp = false
    /// Between a connect and its CONNACK: the handshake runs inside the first loop calls, so a
    /// connection lost then is a failed connect, with backoff, not a lost connection.
    var isConnecting = false
    /// Whether libmosquitto's log callback is on: from a connect to its CONNACK only, since
    /// libmosquitto formats a line or two for every message while it is.
    var isLogging = true
    /// libmosquitto's error lines since the connect (OpenSSL's reason among them), at most 8.
    var errorLines: [String] = []
}

extension MQTTIntake {
    /// Before each connect: sets TLS up if it is not yet, and turns the log capture on.
    ///
    /// - Returns: the failure, naming the key, when a file cannot be read or libmosquitto refuses.
    func prepareTLSConnect(_ client: MosquittoClient) -> String? {
        tlsState.errorLines.removeAll()
        if !tlsState.isLogging {
            client.setLogging(true)
            tlsState.isLogging = true
        }
        if !tlsState.isSetUp {
            let settings = configuration.mqtt.tls
            let files = [
                ("ca_file", settings.caFile), ("cert_file", settings.certFile), ("key_file", settings.keyFile),
            ]
            for case (let key, let path?) in files where access(path, R_OK) != 0 {
                return "mqtt.tls.\(key): cannot read \(path): \(String(cString: strerror(errno)))"
            }
            do {
                try client.setTLS(
                    caFile: settings.caFile,
                    caPath: settings.caPath,
                    certificateFile: settings.certFile,
                    keyFile: settings.keyFile,
                    minimumVersion: settings.minVersion == .v1_3 ? .v1_3 : .v1_2,
                    verifyingPeer: !settings.insecureSkipVerify
                )
            } catch {
                return "mqtt.tls: \(error)"
            }
            tlsState.isSetUp = true
        }
        tlsState.isConnecting = true
        return nil
    }

    /// The outcome of a connect, read or write that threw: before the CONNACK of a TLS
    /// connection, a failed connect carrying libmosquitto's error lines (OpenSSL's reason).
    func failed(_ error: any Error, connecting: Bool) -> IntakeStateMachine.Event {
        guard configuration.mqtt.usesTLS && (connecting || tlsState.isConnecting) else {
            return connecting ? .connectFailed(error: "\(error)") : .connectionLost(error: "\(error)")
        }
        tlsState.isConnecting = false
        let reason = tlsState.errorLines.joined(separator: "; ")
        return .connectFailed(error: reason.isEmpty ? "\(error)" : "\(reason) (\(error))")
    }

    /// The CONNACK arrived (called inside a read): the handshake is over.
    func tlsConnectionAccepted() {
        tlsState.isConnecting = false
    }

    /// After a read: once connected, the log capture goes off (outside the callbacks, where
    /// libmosquitto allows changing them).
    func endTLSLogging(_ client: MosquittoClient) {
        guard tlsState.isLogging && !tlsState.isConnecting && configuration.mqtt.usesTLS else { return }
        client.setLogging(false)
        tlsState.isLogging = false
    }

    /// libmosquitto's log callback: keeps the error lines of the connect under way.
    func heard(_ level: CInt, _ text: String) {
        guard level == MosquittoCallbacks.errorLogLevel, tlsState.errorLines.count < 8 else { return }
        tlsState.errorLines.append(text)
    }

    /// The TLS keys in use, for the connect-failure line: which files, version and verification.
    var tlsSummary: String {
        let settings = configuration.mqtt.tls
        var parts = [
            ("ca_file", settings.caFile), ("ca_path", settings.caPath), ("cert_file", settings.certFile),
            ("key_file", settings.keyFile),
        ].compactMap { key, path in path.map { "mqtt.tls.\(key)=\($0)" } }
        if settings.caFile == nil && settings.caPath == nil { parts.append("system CAs") }
        parts.append("mqtt.tls.min_version=\(settings.minVersion.rawValue)")
        if settings.insecureSkipVerify { parts.append("mqtt.tls.insecure_skip_verify=true") }
        return parts.joined(separator: " ")
    }
}
