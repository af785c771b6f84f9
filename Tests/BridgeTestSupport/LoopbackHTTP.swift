// iotflow-bridge: a minimal HTTP client for talking to the real test servers.
// SPDX-License-Identifier: Apache-2.0

import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP response as the harness sees it.
struct HTTPReply: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Sends requests to servers on 127.0.0.1 through URLSession.
///
/// Every request carries `Connection: close`: the servers are stopped and restarted on the same port during
/// tests, and a pooled keep-alive connection to the previous instance would fail the first request after a
/// restart.
enum LoopbackHTTP {
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.connectionProxyDictionary = [:]
        return URLSession(configuration: configuration)
    }()

    /// Sends one request and returns the response, whatever its status.
    ///
    /// - Parameter timeout: for the whole exchange; whole seconds are enough here.
    /// - Throws: `HarnessError` on a transport failure (refused, reset, timed out).
    static func send(
        _ method: String,
        _ url: URL,
        body: Data? = nil,
        headers: [String: String] = [:],
        timeout: Duration = .seconds(10)
    ) async throws -> HTTPReply {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = Double(timeout.components.seconds) + 1
        request.setValue("close", forHTTPHeaderField: "Connection")
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw HarnessError("\(method) \(url.absoluteString) failed: \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw HarnessError("\(method) \(url.absoluteString) returned a non-HTTP response")
        }
        var fields: [String: String] = [:]
        for case (let name as String, let value as String) in http.allHeaderFields {
            fields[name.lowercased()] = value
        }
        return HTTPReply(status: http.statusCode, headers: fields, body: data)
    }

    /// RFC 3986 unreserved characters, spelled out because `CharacterSet.alphanumerics` admits non-ASCII letters.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )

    /// Percent-encodes a query-string name or value: everything but RFC 3986 unreserved characters, so `+`,
    /// `&`, `=`, brackets and quotes in InfluxQL or PromQL selectors survive intact.
    static func encode(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: unreserved) ?? component
    }

    /// Builds `http://127.0.0.1:<port><path>?<query>` from unencoded query items, in order.
    static func url(port: UInt16, path: String, query: [(String, String)] = []) -> URL {
        var text = "http://127.0.0.1:\(port)\(path)"
        if !query.isEmpty {
            text += "?" + query.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
        }
        // The string is built from a fixed scheme and host, a decimal port, a literal path and percent-encoded
        // query, which URL(string:) always accepts.
        return URL(string: text)!
    }
}
