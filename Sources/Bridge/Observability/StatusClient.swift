// iotflow-bridge: what `iotflow-bridge status` asks a running bridge, over libcurl.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Curl
import Foundation

/// Reads `/health` and `/devices` from a running bridge's admin endpoint. Blocking (libcurl),
/// for the `status` command only; call `LibraryBootstrap.initialize()` first.
public enum StatusClient {
    /// The two replies, each through `timeout`.
    ///
    /// - Parameter baseURL: `http://127.0.0.1:9464` (a trailing `/` is allowed).
    /// - Throws: `BridgeError` naming the URL when the bridge is unreachable, answers with an
    ///   unexpected status, or answers something that is not the expected JSON.
    public static func fetch(
        baseURL: String,
        timeout: Duration = .seconds(5)
    ) throws(BridgeError) -> (report: HealthReport, listing: DeviceListing) {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        let handle: CurlEasyHandle
        do {
            handle = try CurlEasyHandle()
        } catch {
            throw BridgeError("cannot set up libcurl: \(error)")
        }
        // /health answers 503 with a full report when the bridge fails; that is a reply, not an error.
        let report = try decode(HealthReport.self, get(base + "/health", on: handle, timeout, accepting: [200, 503]))
        let listing = try decode(DeviceListing.self, get(base + "/devices", on: handle, timeout, accepting: [200]))
        return (report, listing)
    }

    private static func get(
        _ url: String,
        on handle: CurlEasyHandle,
        _ timeout: Duration,
        accepting statuses: Set<Int>
    ) throws(BridgeError) -> (url: String, body: [UInt8]) {
        let response: HTTPResponse
        do {
            response = try handle.get(url: url, timeout: timeout)
        } catch {
            throw BridgeError("cannot reach \(url): \(error)")
        }
        guard statuses.contains(response.status) else {
            throw BridgeError("\(url) answered HTTP \(response.status)")
        }
        return (url, response.body)
    }

    private static func decode<Value: Decodable>(
        _ type: Value.Type,
        _ reply: (url: String, body: [UInt8])
    ) throws(BridgeError) -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(reply.body))
        } catch {
            throw BridgeError("\(reply.url) answered something that is not the bridge's JSON: \(error)")
        }
    }
}
