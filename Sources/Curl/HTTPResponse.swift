// iotflow-bridge: what a server answered.
// SPDX-License-Identifier: Apache-2.0

/// An HTTP reply as the writer needs it.
public struct HTTPResponse: Equatable, Sendable {
    /// The status code.
    public var status: Int
    /// The body, cut at the handle's `maxResponseBodyBytes` (64 KiB by default; error bodies are small).
    public var body: [UInt8]
    /// `Retry-After` in seconds (delta or HTTP date, as libcurl parses it), nil when absent.
    public var retryAfterSeconds: Int?

    /// A reply.
    public init(status: Int, body: [UInt8], retryAfterSeconds: Int?) {
        self.status = status
        self.body = body
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The body as text, for logs (invalid UTF-8 is repaired).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
