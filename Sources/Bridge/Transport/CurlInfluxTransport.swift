// iotflow-bridge: writes batches to InfluxDB over libcurl.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Curl

/// Writes batches with one reused libcurl handle (keep-alive across batches), gzip-compressing
/// the body when configured. Confined to the writer thread.
public final class CurlInfluxTransport: InfluxTransport {
    private let handle: CurlEasyHandle
    private let endpoint: InfluxEndpoint
    private let configuration: InfluxConfiguration
    private var compressed: [UInt8] = []

    /// A transport for a validated configuration.
    public init(configuration: InfluxConfiguration) throws {
        self.handle = try CurlEasyHandle()
        self.endpoint = InfluxEndpoint(configuration: configuration)
        self.configuration = configuration
    }

    public func write(_ body: [UInt8]) -> WriteAttempt {
        var payload = body
        if configuration.gzip {
            compressed.removeAll(keepingCapacity: true)
            Gzip.compress(body, into: &compressed)
            payload = compressed
        }
        do {
            let response = try handle.post(
                url: endpoint.url,
                headers: endpoint.headers,
                body: payload,
                timeout: configuration.timeout,
                connectTimeout: configuration.connectTimeout
            )
            let outcome = WriteOutcome(status: response.status)
            return WriteAttempt(outcome: outcome, message: outcome == .accepted ? "" : response.bodyText)
        } catch {
            return WriteAttempt(outcome: WriteOutcome(status: nil), message: error.description)
        }
    }
}

@available(*, unavailable, message: "A CurlInfluxTransport is confined to the writer thread")
extension CurlInfluxTransport: Sendable {}
