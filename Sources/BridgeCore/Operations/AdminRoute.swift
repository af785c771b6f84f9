// iotflow-bridge: which answer the admin endpoint gives to a request line.
// SPDX-License-Identifier: Apache-2.0

/// What the admin endpoint does with one request, decided from its method and target alone,
/// so every answer that needs no bridge state is tested without a socket.
public enum AdminRoute: Equatable, Sendable {
    /// `GET /metrics`: the Prometheus text.
    case metrics
    /// `GET /health`: the health report as JSON.
    case health
    /// `GET /ready`: 200 `ready` or 503 `not ready`.
    case ready
    /// `GET /devices[?stale=]`: the silent devices; nil means the configured threshold.
    case devices(stale: Duration?)
    /// 400 with this one-line reason.
    case badRequest(String)
    /// 405 with `Allow: GET, HEAD`.
    case methodNotAllowed
    /// 404.
    case notFound

    /// The methods every route answers.
    public static let allowedMethods = "GET, HEAD"

    /// The route for `method` (`GET`, `HEAD`, …) and `target` (`/devices?stale=10m`).
    public init(method: String, target: String) {
        let path = target.prefix { $0 != "?" }
        let query = target.dropFirst(path.count + 1)
        let known: Set<Substring> = ["/metrics", "/health", "/ready", "/devices"]
        guard known.contains(path) else {
            self = .notFound
            return
        }
        guard method == "GET" || method == "HEAD" else {
            self = .methodNotAllowed
            return
        }
        switch path {
        case "/metrics": self = .metrics
        case "/health": self = .health
        case "/ready": self = .ready
        default: self = Self.devices(query: query)
        }
    }

    /// `/devices` with its query: `stale` in the configuration's duration syntax (`0s` lists
    /// every device in the table); other parameters are ignored.
    private static func devices(query: Substring) -> Self {
        var stale: Duration?
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0] == "stale" else { continue }
            let raw = parts.count == 2 ? String(parts[1]) : ""
            guard let duration = ConfigDuration.parse(raw) else {
                let shown = raw.count > 40 ? String(raw.prefix(40)) + "…" : raw
                return .badRequest(
                    "stale must be a duration such as 30s, 10m or 2h (a bare number is milliseconds), got '\(shown)'"
                )
            }
            stale = duration
        }
        return .devices(stale: stale)
    }
}
