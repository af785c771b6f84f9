// iotflow-bridge: a real InfluxDB 1.x (Debian's influxd 1.6.7) on free loopback ports for integration tests.
// SPDX-License-Identifier: Apache-2.0

public import Foundation

/// An `influxd` 1.x server with all its state in a scratch directory and listening on 127.0.0.1 only.
///
/// `init` reserves two ports (HTTP and the backup/restore RPC service) and the directory; `start()` writes
/// `influxdb.conf` there and launches the server. `stop()` then `start()` brings the same server back on the
/// same ports with the same data: influxd replays its WAL at startup, so points acknowledged with 204 survive
/// a SIGTERM and also a `kill9()`.
///
/// The generated config changes the Debian defaults only where a test needs it:
///
/// - `reporting-enabled = false` and `reporting-disabled = true`: Debian's build renames the upstream
///   `reporting-disabled` key to `reporting-enabled` (default false); influxd ignores unknown keys, so
///   both are written and either build stays quiet.
/// - top-level `bind-address` (RPC, default `127.0.0.1:8088`) and `[http] bind-address` (default `:8086`,
///   every interface) move to free loopback ports so parallel servers and a system influxd never clash.
/// - `[meta] dir`, `[data] dir` and `wal-dir` go into the scratch directory.
/// - `[monitor] store-enabled = false`: no `_internal` database, whose writes every 10 s would show up in
///   `SHOW DATABASES` and the log.
/// - `[continuous_queries]` and `[subscriber]` are off; `[logging] level = "warn"`, no logo, no query or
///   meta logging. The HTTP access log stays on (one line per request on stderr, including the status),
///   because it is what explains a failing write test.
///
/// Graphite, collectd, OpenTSDB, UDP and the ifql listener are already disabled by default, so the two
/// ports above are the only sockets influxd opens.
///
/// With `https`, the HTTP port serves https only (`[http] https-enabled`, with the given certificate and
/// key), `baseURL` is `https://`, and the harness's own requests go through `CurlCommand`, trusting
/// only the given CA.
///
/// Safe from any thread. Waits are bounded: start 20 s, stop 10 s then SIGKILL, each HTTP call 10 s.
public final class InfluxDB1Server: Sendable {
    /// Always "127.0.0.1".
    public let host = "127.0.0.1"
    /// The HTTP API port (`/write`, `/query`, `/ping`).
    public let port: UInt16
    /// The RPC port used by `influxd backup`/`restore`; reserved only so it does not collide.
    public let rpcPort: UInt16
    /// `http://127.0.0.1:<port>`, or `https://` with `https`.
    public let baseURL: URL
    /// The server certificate and key, and the CA the harness verifies them with; nil for plain http.
    public let https: HTTPS?

    /// What an https server presents, and the CA its clients trust.
    public struct HTTPS: Sendable {
        public var certificateFile: URL
        public var keyFile: URL
        public var caFile: URL

        public init(certificateFile: URL, keyFile: URL, caFile: URL) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.caFile = caFile
        }
    }
    /// The scratch directory with `influxdb.conf`, `meta/`, `data/`, `wal/` and the log.
    public var directory: URL { server.directory }
    /// influxd's stdout and stderr, appended across restarts.
    public var logURL: URL { server.logURL }

    private let server: ServerProcess

    /// Reserves the ports and the scratch directory; the server does not start yet.
    ///
    /// - Parameters:
    ///   - executable: the `influxd` binary; defaults to `ServerBinaries.influxd`.
    ///   - https: serve https only, with this certificate; nil for plain http.
    /// - Throws: `HarnessError` if influxd is not installed or the directory cannot be created.
    public init(executable: String? = nil, https: HTTPS? = nil) throws {
        guard let executable = executable ?? ServerBinaries.influxd else {
            throw HarnessError("influxd is not installed (apt-get install influxdb)")
        }
        self.server = try ServerProcess(name: "influxd", executable: executable)
        self.port = FreePort.next()
        self.rpcPort = FreePort.next()
        self.https = https
        let plain = LoopbackHTTP.url(port: port, path: "")
        self.baseURL = https == nil ? plain : URL(string: "https" + plain.absoluteString.dropFirst(4)) ?? plain
    }

    /// Whether the influxd process is alive.
    public var isRunning: Bool { server.isRunning }

    /// How long the last successful start took, from launch until `/ping` answered 204.
    public var lastStartDuration: Duration? { server.lastStartDuration }

    /// Writes the config and starts influxd, returning once `GET /ping` answers 204 (at most 20 s).
    ///
    /// - Throws: `HarnessError` if it is already running, exits, or does not answer in time.
    public func start() async throws {
        let configuration = try server.writeConfiguration(makeConfiguration(), named: "influxdb.conf")
        try await server.start(arguments: ["-config", configuration.path], timeout: .seconds(20)) {
            let ping = try? await send("GET", path: "/ping", timeout: .seconds(1))
            return ping?.status == 204
        }
    }

    /// Stops influxd with SIGTERM (a clean shutdown); SIGKILL after 10 s.
    public func stop() async {
        await server.stop()
    }

    /// Kills influxd with SIGKILL, as a crash would; the WAL still holds every acknowledged point.
    public func kill9() async {
        await server.kill9()
    }

    /// The influxd log so far.
    public func logText() -> String {
        server.logText()
    }

    // MARK: - HTTP API

    /// Runs `CREATE DATABASE "<name>"` (a no-op if it exists).
    public func createDatabase(_ name: String) async throws {
        _ = try await query("CREATE DATABASE \(Self.quoteIdentifier(name))")
    }

    /// Writes line protocol through `POST /write`, as a test fixture would, and requires a 204.
    ///
    /// - Parameter precision: `ns`, `u`, `ms`, `s`, `m` or `h`.
    /// - Throws: `HarnessError` with InfluxDB's error text for any other status.
    public func write(_ lineProtocol: String, database: String, precision: String = "ns") async throws {
        let query = [("db", database), ("precision", precision)]
        let reply = try await send("POST", path: "/write", query: query, body: Data(lineProtocol.utf8))
        guard reply.status == 204 else {
            throw HarnessError("write to \(database) returned \(reply.status): \(reply.text)")
        }
    }

    /// Runs InfluxQL through `POST /query` with `epoch=ns` and returns every series of every statement.
    ///
    /// - Parameter database: the `db` parameter; needed for `SELECT` and `SHOW FIELD KEYS` without an
    ///   explicit database.
    /// - Throws: `HarnessError` for a non-200 status or an `error` in any statement.
    public func query(_ influxQL: String, database: String? = nil) async throws -> [InfluxQueryResult] {
        var form = [("q", influxQL), ("epoch", "ns")]
        if let database {
            form.append(("db", database))
        }
        let body = form.map { "\(LoopbackHTTP.encode($0.0))=\(LoopbackHTTP.encode($0.1))" }.joined(separator: "&")
        let reply = try await send(
            "POST",
            path: "/query",
            body: Data(body.utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"]
        )
        let response: QueryResponse
        do {
            response = try JSONDecoder().decode(QueryResponse.self, from: reply.body)
        } catch {
            throw HarnessError("query \(influxQL) returned \(reply.status) with unreadable body: \(reply.text)")
        }
        if let error = response.error ?? response.results?.lazy.compactMap(\.error).first {
            throw HarnessError("query \(influxQL) failed with \(reply.status): \(error)")
        }
        guard reply.status == 200 else {
            throw HarnessError("query \(influxQL) returned \(reply.status): \(reply.text)")
        }
        return (response.results ?? []).flatMap { $0.series ?? [] }
    }

    /// The number of non-null values of `field` in `measurement`: `SELECT COUNT("<field>")`. 0 if none.
    public func count(measurement: String, field: String, database: String) async throws -> Int {
        let statement = "SELECT COUNT(\(Self.quoteIdentifier(field))) FROM \(Self.quoteIdentifier(measurement))"
        let series = try await query(statement, database: database)
        return series.first?.column("count").first?.int.map(Int.init) ?? 0
    }

    /// Field name to stored type (`float`, `integer`, `string`, `boolean`) from `SHOW FIELD KEYS`.
    public func fieldTypes(measurement: String, database: String) async throws -> [String: String] {
        let series = try await query("SHOW FIELD KEYS FROM \(Self.quoteIdentifier(measurement))", database: database)
        var types: [String: String] = [:]
        for result in series {
            for (key, type) in zip(result.column("fieldKey"), result.column("fieldType")) {
                if let key = key.string, let type = type.string {
                    types[key] = type
                }
            }
        }
        return types
    }

    // MARK: - Private

    /// Sends one request to this server: through URLSession for http, through `CurlCommand` for https.
    private func send(
        _ method: String,
        path: String,
        query: [(String, String)] = [],
        body: Data? = nil,
        headers: [String: String] = [:],
        timeout: Duration = .seconds(10)
    ) async throws -> HTTPReply {
        let url = LoopbackHTTP.url(port: port, path: path, query: query)
        guard let https else {
            return try await LoopbackHTTP.send(method, url, body: body, headers: headers, timeout: timeout)
        }
        let secure = URL(string: "https" + url.absoluteString.dropFirst(4)) ?? url
        return try CurlCommand.send(
            method,
            secure,
            caFile: https.caFile,
            body: body,
            headers: headers,
            timeout: timeout
        )
    }

    /// Double-quotes an InfluxQL identifier, escaping backslashes and quotes as the InfluxQL scanner expects.
    static func quoteIdentifier(_ name: String) -> String {
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// The `[http]` lines that turn https on, or none.
    private var httpsConfiguration: String {
        guard let https else { return "" }
        return """
              https-enabled = true
              https-certificate = "\(https.certificateFile.path)"
              https-private-key = "\(https.keyFile.path)"
            """
    }

    private func makeConfiguration() -> String {
        let root = directory.path
        return """
            # Generated by BridgeTestSupport.InfluxDB1Server.
            reporting-enabled = false
            reporting-disabled = true
            bind-address = "127.0.0.1:\(rpcPort)"

            [meta]
              dir = "\(root)/meta"
              logging-enabled = false

            [data]
              dir = "\(root)/data"
              wal-dir = "\(root)/wal"
              query-log-enabled = false

            [monitor]
              store-enabled = false

            [subscriber]
              enabled = false

            [continuous_queries]
              enabled = false
              log-enabled = false

            [http]
              enabled = true
              bind-address = "127.0.0.1:\(port)"
              auth-enabled = false
              log-enabled = true
              pprof-enabled = false
            \(httpsConfiguration)

            [logging]
              level = "warn"
              suppress-logo = true

            """
    }
}

/// The top level of a `/query` response: `{"results":[{"statement_id":0,"series":[..],"error":".."}]}`.
private struct QueryResponse: Decodable {
    struct Statement: Decodable {
        var series: [InfluxQueryResult]?
        var error: String?
    }

    var results: [Statement]?
    var error: String?
}
