// iotflow-bridge: parses the request line and header fields of an HTTP/1.x request.
// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The part of a request before the body, as `FakeHTTPConnection` needs it.
struct RequestHead {
    var method: String
    /// The target before `?`, still percent-encoded.
    var path: String
    var query: [String: String]
    var version: String
    /// Lowercased names; repeated fields joined with ", ".
    var headers: [String: String]

    /// Parses the text before the blank line; `nil` if the request line is malformed.
    init?(parsing text: String) {
        let lines = text.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ", omittingEmptySubsequences: true)
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { return nil }
        method = String(requestLine[0])
        version = String(requestLine[2])
        let target = requestLine[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(target[0])
        query = target.count > 1 ? Self.parseQuery(target[1]) : [:]
        headers = [:]
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if let existing = headers[name] {
                headers[name] = existing + ", " + value
            } else {
                headers[name] = value
            }
        }
    }

    /// HTTP/1.1 keeps the connection unless told `close`; HTTP/1.0 closes it unless told `keep-alive`.
    var wantsKeepAlive: Bool {
        let connection = headers["connection"]?.lowercased() ?? ""
        if version == "HTTP/1.0" {
            return connection.contains("keep-alive")
        }
        return !connection.contains("close")
    }

    /// Decodes `a=1&b=x+y` as Go's `url.ParseQuery` does: `+` is a space, the first value of a name wins.
    private static func parseQuery(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            if result[name] == nil {
                result[name] = parts.count > 1 ? decode(parts[1]) : ""
            }
        }
        return result
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
