// iotflow-bridge: where and how batches are written.
// SPDX-License-Identifier: Apache-2.0

/// The InfluxDB write API to use.
public enum InfluxAPI: String, CaseIterable, Equatable, Sendable {
    /// `POST /write?db=&rp=` (InfluxDB 1.x, VictoriaMetrics, InfluxDB 3 compatibility).
    case v1
    /// `POST /api/v2/write?org=&bucket=` (InfluxDB 2.x, VictoriaMetrics, InfluxDB 3 compatibility).
    case v2
    /// `POST /api/v3/write_lp?db=` (InfluxDB 3 Core / Enterprise).
    case v3
}

/// The `influxdb` section.
public struct InfluxConfiguration: Equatable, Sendable {
    /// Which write API (`influxdb.api`).
    public var api: InfluxAPI
    /// Base URL, `http://` or `https://` (`influxdb.url`).
    public var url: String
    /// More base URLs for the same database (`influxdb.failover_urls`): when a request gets no
    /// reply at all, the next one is tried, round robin.
    public var failoverURLs: [String]
    /// Database for v1 and v3 (`influxdb.database`).
    public var database: String
    /// Retention policy for v1, if not the default (`influxdb.retention_policy`).
    public var retentionPolicy: String?
    /// Organisation for v2 (`influxdb.org`).
    public var org: String
    /// Bucket for v2 (`influxdb.bucket`).
    public var bucket: String
    /// API token (`influxdb.token`): `Authorization: Token …` for v1/v2, `Bearer …` for v3.
    public var token: Secret?
    /// A file holding the token (`influxdb.token_file`); under systemd,
    /// `$CREDENTIALS_DIRECTORY/influxdb-token` is used when neither is set.
    public var tokenFile: String?
    /// v1 username, sent with HTTP Basic auth (`influxdb.username`).
    public var username: String?
    /// v1 password (`influxdb.password`).
    public var password: Secret?
    /// Whole-request timeout, 1 s – 10 min (`influxdb.timeout`).
    public var timeout: Duration
    /// TCP (and TLS) connect timeout (`influxdb.connect_timeout`).
    public var connectTimeout: Duration
    /// gzip request bodies (`influxdb.gzip`).
    public var gzip: Bool
    /// Points per batch, 1 – 1,000,000 (`influxdb.batch_size`).
    public var batchSize: Int
    /// Uncompressed bytes per batch, 1 KiB – 64 MiB (`influxdb.max_batch_bytes`).
    public var maxBatchBytes: Int
    /// Longest time a point waits before a flush, 100 ms – 1 h (`influxdb.flush_interval`).
    public var flushInterval: Duration
    /// Random extra delay up to this, added to each timed flush so bridges restarted together
    /// do not write in lockstep (`influxdb.flush_jitter`).
    public var flushJitter: Duration
    /// CAs, client certificate and key, version and verification for `https://` URLs
    /// (`influxdb.tls.*`); `http://` URLs ignore them.
    public var tls: TLSConfiguration

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(
        api: InfluxAPI = .v2,
        url: String = "http://127.0.0.1:8086",
        failoverURLs: [String] = [],
        database: String = "iotflow",
        retentionPolicy: String? = nil,
        org: String = "iotflow",
        bucket: String = "telemetry",
        token: Secret? = nil,
        tokenFile: String? = nil,
        username: String? = nil,
        password: Secret? = nil,
        timeout: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(5),
        gzip: Bool = true,
        batchSize: Int = 5000,
        maxBatchBytes: Int = 4 * 1024 * 1024,
        flushInterval: Duration = .seconds(10),
        flushJitter: Duration = .seconds(1),
        tls: TLSConfiguration = TLSConfiguration()
    ) {
        self.api = api
        self.url = url
        self.failoverURLs = failoverURLs
        self.database = database
        self.retentionPolicy = retentionPolicy
        self.org = org
        self.bucket = bucket
        self.token = token
        self.tokenFile = tokenFile
        self.username = username
        self.password = password
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.gzip = gzip
        self.batchSize = batchSize
        self.maxBatchBytes = maxBatchBytes
        self.flushInterval = flushInterval
        self.flushJitter = flushJitter
        self.tls = tls
    }
}

extension InfluxConfiguration {
    /// The section's keys, in file order.
    static let keys: [SectionKey<Self>] =
        [
            .key("api", \.api, .choice),
            .key("url", \.url, .string, .require(baseURLMessage, isBaseURL)),
            .key(
                "failover_urls",
                \.failoverURLs,
                .list,
                .each({ "'\($0)' is not an http:// or https:// base URL" }, isBaseURL)
            ),
            .key("database", \.database, .string),
            .key("retention_policy", \.retentionPolicy, .optionalString),
            .key("org", \.org, .string),
            .key("bucket", \.bucket, .string),
            .key("token", \.token, .secret),
            .key("token_file", \.tokenFile, .optionalString),
            .key("username", \.username, .optionalString),
            .key("password", \.password, .secret),
            .key("timeout", \.timeout, .duration, .within(.seconds(1)...Duration.seconds(600))),
            .key("connect_timeout", \.connectTimeout, .duration, .within(.milliseconds(100)...Duration.seconds(600))),
            .key("gzip", \.gzip, .bool),
            .key("batch_size", \.batchSize, .int, .within(1...1_000_000)),
            .key("max_batch_bytes", \.maxBatchBytes, .int, .within(1024...64 * 1024 * 1024)),
            .key("flush_interval", \.flushInterval, .duration, .within(.milliseconds(100)...Duration.seconds(3600))),
            .key("flush_jitter", \.flushJitter, .duration, .within(.zero...Duration.seconds(3600))),
        ] + TLSConfiguration.keys.map { $0.lifted(through: \.tls, prefix: "tls.") }

    private static let baseURLMessage = "must be an http:// or https:// base URL without credentials, query or fragment"

    /// Whether `url` is an `http://` or `https://` base URL. No `user:password@`: credentials belong
    /// in influxdb.username/password or the token, where they are sent as headers and never logged.
    private static func isBaseURL(_ url: String) -> Bool {
        let lower = url.lowercased()
        return (lower.hasPrefix("http://") || lower.hasPrefix("https://")) && url.count > 8
            && !url.contains(where: { $0 == "?" || $0 == "#" || $0 == "@" || $0.isWhitespace })
    }
}
