// iotflow-bridge: the admin endpoint's answers, from a route and the observability source.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Foundation

/// One answer of the admin endpoint, before it meets the wire.
public struct AdminReply: Equatable, Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The `Content-Type` header.
    public var contentType: String
    /// The body (sent for GET, left out for HEAD; its length is announced either way).
    public var body: [UInt8]
    /// Whether the reply carries `Allow: GET, HEAD` (405).
    public var announcesAllowedMethods = false

    /// A reply with a UTF-8 text body.
    static func text(_ status: Int, _ text: String) -> Self {
        Self(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }
}

/// Turns a route into a reply by asking the source; knows nothing of sockets, so the answers
/// are tested with a double of the source.
public struct AdminResponder: Sendable {
    /// The Prometheus text exposition format's content type.
    public static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    private let source: any ObservabilitySource
    private let defaultStaleAfter: Duration

    /// A responder over `source`; `/devices` without `stale=` uses `defaultStaleAfter`
    /// (`mapping.stale_after`).
    public init(source: any ObservabilitySource, defaultStaleAfter: Duration) {
        self.source = source
        self.defaultStaleAfter = defaultStaleAfter
    }

    /// The reply to `route`.
    public func reply(to route: AdminRoute) async -> AdminReply {
        switch route {
        case .metrics:
            return AdminReply(status: 200, contentType: Self.metricsContentType, body: Array(source.metricsText().utf8))
        case .health:
            let report = await source.health()
            return Self.json(report, status: report.httpStatus)
        case .ready:
            return source.isReady ? .text(200, "ready\n") : .text(503, "not ready\n")
        case .devices(let stale):
            return Self.json(source.devices(silentFor: stale ?? defaultStaleAfter), status: 200)
        case .badRequest(let reason):
            return .text(400, reason + "\n")
        case .methodNotAllowed:
            var reply = AdminReply.text(405, "method not allowed; use GET or HEAD\n")
            reply.announcesAllowedMethods = true
            return reply
        case .notFound:
            return .text(404, "not found; try /metrics, /health, /ready or /devices\n")
        }
    }

    /// `value` as JSON with sorted keys (stable output for people and diffs).
    private static func json(_ value: some Encodable, status: Int) -> AdminReply {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return AdminReply(status: status, contentType: "application/json", body: Array(try encoder.encode(value)))
        } catch {
            // Only a non-finite Double can fail here; the report's producer must not make one.
            return .text(500, "cannot encode the reply: \(error)\n")
        }
    }
}
