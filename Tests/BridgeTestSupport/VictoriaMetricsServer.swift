// iotflow-bridge: a real single-node VictoriaMetrics on a free loopback port for integration tests.
// SPDX-License-Identifier: Apache-2.0

public import Foundation

/// A `victoria-metrics` server that accepts InfluxDB line protocol on `/write` and `/api/v2/write`.
///
/// `init` reserves the port and a scratch directory; `start()` launches
///
/// ```
/// victoria-metrics -httpListenAddr=127.0.0.1:<port> -storageDataPath=<dir>/data -retentionPeriod=100y
/// ```
///
/// The HTTP listener is the only socket VictoriaMetrics opens unless `-influxListenAddr`,
/// `-graphiteListenAddr`, `-opentsdbListenAddr` or `-opentsdbHTTPListenAddr` are given, and they are not.
/// `-retentionPeriod=100y` replaces the default of one month, which would silently drop test points with
/// old fixed timestamps such as 1700000000000000000. Nothing else differs from the defaults, so the
/// server behaves as in production: points become visible to `export` after about a second (or at once
/// after `forceFlush()`), and `/api/v1/query` still hides the newest 30 s.
///
/// Safe from any thread. Waits are bounded: start 20 s, stop 10 s then SIGKILL, each HTTP call 10 s.
public final class VictoriaMetricsServer: Sendable {
    /// Always "127.0.0.1".
    public let host = "127.0.0.1"
    /// The HTTP port for writes, `/health`, `/api/v1/export` and everything else.
    public let port: UInt16
    /// `http://127.0.0.1:<port>`.
    public let baseURL: URL
    /// The scratch directory with `data/` and the log.
    public var directory: URL { server.directory }
    /// The server's stdout and stderr, appended across restarts.
    public var logURL: URL { server.logURL }

    private let server: ServerProcess

    /// Reserves the port and the scratch directory; the server does not start yet.
    ///
    /// - Parameter executable: the binary; defaults to `ServerBinaries.victoriaMetrics`.
    /// - Throws: `HarnessError` if VictoriaMetrics is not installed or the directory cannot be created.
    public init(executable: String? = nil) throws {
        guard let executable = executable ?? ServerBinaries.victoriaMetrics else {
            throw HarnessError("victoria-metrics is not installed (apt-get install victoria-metrics)")
        }
        self.server = try ServerProcess(name: "victoria-metrics", executable: executable)
        self.port = FreePort.next()
        self.baseURL = LoopbackHTTP.url(port: port, path: "")
    }

    /// Whether the process is alive.
    public var isRunning: Bool { server.isRunning }

    /// How long the last successful start took, from launch until `/health` answered 200.
    public var lastStartDuration: Duration? { server.lastStartDuration }

    /// Starts the server and returns once `GET /health` answers 200 (at most 20 s).
    ///
    /// - Throws: `HarnessError` if it is already running, exits, or does not answer in time.
    public func start() async throws {
        let arguments = [
            "-httpListenAddr=127.0.0.1:\(port)",
            "-storageDataPath=\(directory.path)/data",
            "-retentionPeriod=100y",
        ]
        try await server.start(arguments: arguments, timeout: .seconds(20)) {
            let url = LoopbackHTTP.url(port: port, path: "/health")
            let health = try? await LoopbackHTTP.send("GET", url, timeout: .seconds(1))
            return health?.status == 200
        }
    }

    /// Stops the server with SIGTERM, which flushes buffered points to disk; SIGKILL after 10 s.
    public func stop() async {
        await server.stop()
    }

    /// Kills the server with SIGKILL; points from the last few seconds may be lost, as in a real crash.
    public func kill9() async {
        await server.kill9()
    }

    /// The server log so far.
    public func logText() -> String {
        server.logText()
    }

    // MARK: - HTTP API

    /// Makes every accepted point searchable now: `GET /internal/force_flush`.
    public func forceFlush() async throws {
        let reply = try await LoopbackHTTP.send("GET", LoopbackHTTP.url(port: port, path: "/internal/force_flush"))
        guard reply.status == 200 else {
            throw HarnessError("force_flush returned \(reply.status): \(reply.text)")
        }
    }

    /// Returns the raw samples of every series matching a selector, through `/api/v1/export`.
    ///
    /// Call `forceFlush()` first: points written less than about a second ago are not exported yet.
    ///
    /// - Parameter match: a series selector such as `{__name__="m_temp",db="x"}` or `m_temp`.
    /// - Throws: `HarnessError` for a non-200 status or a line that is not a series.
    public func export(match: String) async throws -> [VMSeries] {
        let url = LoopbackHTTP.url(port: port, path: "/api/v1/export", query: [("match[]", match)])
        let reply = try await LoopbackHTTP.send("GET", url)
        guard reply.status == 200 else {
            throw HarnessError("export \(match) returned \(reply.status): \(reply.text)")
        }
        let decoder = JSONDecoder()
        return try reply.body.split(separator: UInt8(ascii: "\n")).map { line in
            do {
                return try decoder.decode(VMSeries.self, from: Data(line))
            } catch {
                let text = String(decoding: line, as: UTF8.self)
                throw HarnessError("export \(match) returned an unreadable line: \(text)")
            }
        }
    }
}
