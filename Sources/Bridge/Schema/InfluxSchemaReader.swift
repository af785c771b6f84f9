// iotflow-bridge: reads the field types InfluxDB holds, over libcurl.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Curl

/// One schema read (`SchemaRequest`): `influxdb.url` first, then each of `influxdb.failover_urls`
/// until one answers, each request bounded by `influxdb.timeout` and made with `influxdb.tls`. A handle is made per read and
/// freed after it (reads are rare), so the reply buffer does not stay allocated.
///
/// Blocking: runs on the schema thread only, never on the MQTT thread or the cooperative pool.
struct InfluxSchemaReader: Sendable {
    /// Entries kept from a reply (`mapping.max_field_types`).
    let capacity: Int
    /// The largest reply read: 128 bytes per entry kept (a v3 row is about 80), 1 – 256 MiB.
    let maxReplyBytes: Int

    init(maxFieldTypes: Int) {
        capacity = maxFieldTypes
        maxReplyBytes = min(max(maxFieldTypes.multipliedReportingOverflow(by: 128).partialValue, 1 << 20), 1 << 28)
    }

    /// Reads the schema from the first URL that answers.
    func read(_ configuration: InfluxConfiguration) -> SchemaReply {
        var failure = "no URL configured"
        for url in [configuration.url] + configuration.failoverURLs {
            var single = configuration
            single.url = url
            let request = SchemaRequest(configuration: single)
            do {
                let handle = try CurlEasyHandle(
                    maxResponseBodyBytes: maxReplyBytes,
                    tls: CurlTLSOptions(configuration.tls)
                )
                let response = try handle.post(
                    url: request.url,
                    headers: request.headers,
                    body: request.body,
                    timeout: configuration.timeout,
                    connectTimeout: configuration.connectTimeout
                )
                guard response.body.count < maxReplyBytes else {
                    return .failed("the schema reply is larger than \(maxReplyBytes) bytes (mapping.max_field_types)")
                }
                return request.reply(status: response.status, body: response.body, capacity: capacity)
            } catch {
                failure = "\(url): \(error.described(with: configuration.tls))"
            }
        }
        return .failed(failure)
    }
}
