// iotflow-bridge: writes to InfluxDB over libcurl, failing over between URLs.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Curl
public import Logging

/// Writes requests with one reused libcurl handle (keep-alive across requests), gzip-compressing
/// the body when configured. When a request gets no reply at all and `influxdb.failover_urls`
/// lists more URLs, the next request goes to the next one, round robin. `influxdb.tls` applies to
/// every `https://` URL among them. Confined to the writer thread.
public final class CurlInfluxTransport: InfluxTransport {
    private let handle: CurlEasyHandle
    private let endpoints: [InfluxEndpoint]
    private var current = 0
    private let configuration: InfluxConfiguration
    private let logger: Logger
    private var compressed: [UInt8] = []

    /// A transport for a validated configuration.
    public init(configuration: InfluxConfiguration, logger: Logger) throws {
        self.handle = try CurlEasyHandle(tls: CurlTLSOptions(configuration.tls))
        self.endpoints = ([configuration.url] + configuration.failoverURLs).map { url in
            var single = configuration
            single.url = url
            return InfluxEndpoint(configuration: single)
        }
        self.configuration = configuration
        self.logger = logger
    }

    public func write(_ body: ArraySlice<UInt8>) -> WriteOutcome {
        var payload = Array(body)
        if configuration.gzip {
            compressed.removeAll(keepingCapacity: true)
            Gzip.compress(payload, into: &compressed)
            payload = compressed
        }
        let endpoint = endpoints[current]
        do {
            let response = try handle.post(
                url: endpoint.url,
                headers: endpoint.headers,
                body: payload,
                timeout: configuration.timeout,
                connectTimeout: configuration.connectTimeout
            )
            return WriteOutcome(
                status: response.status,
                body: response.body,
                retryAfterSeconds: response.retryAfterSeconds
            )
        } catch {
            let reason = error.described(with: configuration.tls)
            if endpoints.count > 1 {
                current = (current + 1) % endpoints.count
                logger.warning(
                    "No reply from InfluxDB; failing over.",
                    metadata: ["influx.url": "\(endpoint.baseURL)", "influx.next_url": "\(endpoints[current].baseURL)"]
                )
            }
            return WriteOutcome(status: nil, body: Array(reason.utf8))
        }
    }
}

@available(*, unavailable, message: "A CurlInfluxTransport is confined to the writer thread")
extension CurlInfluxTransport: Sendable {}
