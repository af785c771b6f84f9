// iotflow-bridge: a real mosquitto broker on a free loopback port for integration tests.
// SPDX-License-Identifier: Apache-2.0

public import Foundation
import Glibc
import Synchronization

/// A mosquitto 2.0 broker listening on 127.0.0.1 only, with anonymous access and full logging.
///
/// `init` reserves the port and a scratch directory; `start(persistence:)` writes `mosquitto.conf` there and
/// launches the broker. The port and directory stay the same across `stop()`/`start()`/`restart()`, so
/// clients can reconnect to the same address and a persistent broker finds its `mosquitto.db` again.
///
/// The generated config, and why each line is there:
///
/// ```
/// listener <port> 127.0.0.1      # loopback only; a listener line also makes mosquitto ignore -p
/// allow_anonymous true           # 2.0 defaults to false as soon as a listener is configured
/// persistence false|true
/// persistence_location <dir>/    # only with persistence; mosquitto appends "mosquitto.db" to it verbatim
/// log_type all                   # PUBLISH/PUBACK lines let tests check acknowledgement timing
/// log_dest file <dir>/mosquitto.log
/// log_timestamp_format %Y-%m-%dT%H:%M:%S
/// max_queued_messages 0          # no per-client queue limit (default 1000)
/// user root                      # only when running as root, see below
/// ```
///
/// `log_dest file` writes to the same file that receives the broker's stdout and stderr (`logURL`). It is
/// not `log_dest stdout` because mosquitto block-buffers stdout when it is not a terminal, so a test would
/// see nothing until the broker exits; file logging is flushed after every line.
///
/// `max_queued_messages 0` matters because tests publish bursts while the bridge is disconnected or stalled
/// and then count what arrives; with the default of 1000 the broker would silently drop QoS 1 messages
/// beyond that and the count would blame the bridge. `max_inflight_messages` is left at mosquitto's
/// default (20), the value production brokers run with; pass `max_inflight_messages N` (0 = unlimited) in
/// `extraConfiguration` to change it. As root, mosquitto would drop to the `mosquitto` user, which cannot
/// write the root-owned scratch directory, so `user root` keeps it as root.
///
/// With persistence on, mosquitto saves its database at a clean shutdown and every `autosave_interval`
/// (default 1800 s), so `kill9()` loses whatever was queued since the last save, as a real crash would.
///
/// With `tls`, the listener speaks TLS only (see `MosquittoBroker.TLS` for the lines it adds).
///
/// Safe from any thread. Every wait is bounded: start 10 s, stop 10 s then SIGKILL.
public final class MosquittoBroker: Sendable {
    /// A TLS listener's files and client-certificate policy. Adds to the listener:
    ///
    /// ```
    /// cafile <caFile>                    # the CA client certificates must chain to
    /// certfile <server.certificateFile>
    /// keyfile <server.keyFile>
    /// require_certificate true           # with requireClientCertificate: no certificate, no handshake
    /// use_identity_as_username true      # the certificate's CN becomes the username, in the log as u'<CN>'
    /// ```
    public struct TLS: Sendable {
        /// The CA file the broker verifies client certificates against.
        public var caFile: URL
        /// The broker's own certificate and key.
        public var server: CertificatePair
        /// Whether a client must present a certificate signed by `caFile`; its CN is then the username.
        public var requireClientCertificate: Bool

        /// A TLS listener with the given files.
        public init(caFile: URL, server: CertificatePair, requireClientCertificate: Bool) {
            self.caFile = caFile
            self.server = server
            self.requireClientCertificate = requireClientCertificate
        }

        /// The test CA's server certificate and CA file from `certificates`.
        public init(_ certificates: TestCertificates, requireClientCertificate: Bool) {
            self.init(
                caFile: certificates.caFile,
                server: certificates.server,
                requireClientCertificate: requireClientCertificate
            )
        }

        var configurationLines: [String] {
            var lines = [
                "cafile \(caFile.path)", "certfile \(server.certificateFile.path)", "keyfile \(server.keyFile.path)",
            ]
            if requireClientCertificate {
                lines += ["require_certificate true", "use_identity_as_username true"]
            }
            return lines
        }
    }

    /// Always "127.0.0.1".
    public let host = "127.0.0.1"
    /// The TCP port, fixed at `init`.
    public let port: UInt16
    /// The scratch directory with the config, the log and, with persistence, `mosquitto.db`.
    public var directory: URL { server.directory }
    /// The broker's stdout and stderr, appended across restarts.
    public var logURL: URL { server.logURL }

    private let server: ServerProcess
    private let extraConfiguration: [String]
    private let tls: TLS?
    private let persistence = Mutex(false)

    /// Reserves a port and a scratch directory; the broker does not start yet.
    ///
    /// - Parameters:
    ///   - executable: the broker binary; defaults to `ServerBinaries.mosquitto`.
    ///   - extraConfiguration: lines appended to the generated `mosquitto.conf`.
    ///   - tls: makes the listener a TLS one.
    /// - Throws: `HarnessError` if mosquitto is not installed or the directory cannot be created.
    public init(executable: String? = nil, extraConfiguration: [String] = [], tls: TLS? = nil) throws {
        guard let executable = executable ?? ServerBinaries.mosquitto else {
            throw HarnessError("mosquitto is not installed (apt-get install mosquitto)")
        }
        self.server = try ServerProcess(name: "mosquitto", executable: executable)
        self.port = FreePort.next()
        self.extraConfiguration = extraConfiguration
        self.tls = tls
    }

    /// Whether the broker process is alive.
    public var isRunning: Bool { server.isRunning }

    /// How long the last successful start took, from launch until the port accepted connections.
    public var lastStartDuration: Duration? { server.lastStartDuration }

    /// Writes the config and starts the broker, returning once it accepts TCP connections (at most 10 s).
    ///
    /// - Parameter persistence: keep sessions and queued messages in `<directory>/mosquitto.db` across
    ///   restarts.
    /// - Throws: `HarnessError` if the broker is already running, exits, or does not listen within 10 s.
    public func start(persistence: Bool = false) async throws {
        self.persistence.withLock { $0 = persistence }
        let configuration = try server.writeConfiguration(
            makeConfiguration(persistence: persistence),
            named: "mosquitto.conf"
        )
        try await server.start(arguments: ["-c", configuration.path], timeout: .seconds(10)) {
            Polling.canConnect(port: port)
        }
    }

    /// Stops the broker with SIGTERM, which makes a persistent broker save its database; SIGKILL after 10 s.
    public func stop() async {
        await server.stop()
    }

    /// Stops and starts again on the same port and directory, with the same persistence setting.
    public func restart() async throws {
        await stop()
        try await start(persistence: persistence.withLock { $0 })
    }

    /// Kills the broker with SIGKILL, as a crash would: no database save, connections reset.
    public func kill9() async {
        await server.kill9()
    }

    /// The broker log so far, for grepping in tests.
    public func logText() -> String {
        server.logText()
    }

    private func makeConfiguration(persistence: Bool) -> String {
        var lines = [
            "# Generated by BridgeTestSupport.MosquittoBroker.",
            "listener \(port) 127.0.0.1",
            "allow_anonymous true",
            "persistence \(persistence)",
        ]
        lines += tls?.configurationLines ?? []
        if persistence {
            // mosquitto concatenates this with the file name, so the trailing slash is required.
            lines.append("persistence_location \(directory.path)/")
        }
        lines += [
            "log_type all",
            "log_dest file \(logURL.path)",
            "log_timestamp_format %Y-%m-%dT%H:%M:%S",
            "max_queued_messages 0",
        ]
        if geteuid() == 0 {
            lines.append("user root")
        }
        return (lines + extraConfiguration).joined(separator: "\n") + "\n"
    }
}
