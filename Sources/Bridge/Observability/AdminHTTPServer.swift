// iotflow-bridge: the admin HTTP endpoint (/metrics, /health, /ready, /devices) on swift-nio.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
public import ServiceLifecycle

/// The admin endpoint: HTTP/1.1 with keep-alive on one event-loop thread of its own (a few
/// scrapes a minute need no more, and idle memory stays low). It reads the bridge only through
/// `ObservabilitySource`, never touching the MQTT or writer threads.
///
/// `start` binds, so a port in use is an error before the service group runs. `run()` serves
/// until graceful shutdown: the listening socket closes, idle connections close, a request in
/// flight gets its reply and then its connection closes; `run()` returns when none is left.
///
/// Bounds: a request head over `Limits.maxHeadBytes` is answered 400 and closed (NIO's decoder
/// limit); a body is read and ignored up to `maxBodyBytes`, and the connection closed beyond;
/// a connection with no traffic for `idleTimeout` is closed; connections past `maxConnections`
/// are closed as soon as they are accepted.
public final class AdminHTTPServer: Service, Sendable {
    /// The endpoint's bounds.
    public struct Limits: Sendable {
        /// The request line and headers together.
        public var maxHeadBytes = 8 * 1024
        /// A request body, read and ignored.
        public var maxBodyBytes = 16 * 1024
        /// A connection with no traffic either way for this long is closed.
        public var idleTimeout = Duration.seconds(30)
        /// Open connections at once; more are closed when accepted.
        public var maxConnections = 64

        /// The defaults.
        public init() {}
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// The bound address (the real port when 0 was asked for).
    public let localAddress: ListenAddress
    private let group: MultiThreadedEventLoopGroup
    private let listener: NIOAsyncChannel<Connection, Never>
    private let responder: AdminResponder
    private let connections: AdminConnectionTable
    private let limits: Limits
    private let logger: Logger

    private init(
        localAddress: ListenAddress,
        group: MultiThreadedEventLoopGroup,
        listener: NIOAsyncChannel<Connection, Never>,
        responder: AdminResponder,
        limits: Limits,
        logger: Logger
    ) {
        self.localAddress = localAddress
        self.group = group
        self.listener = listener
        self.responder = responder
        self.connections = AdminConnectionTable(capacity: limits.maxConnections)
        self.limits = limits
        self.logger = logger
    }

    /// Binds `address` and returns the server, ready to `run()`.
    ///
    /// - Throws: `BridgeError` naming the address and the system's reason (port in use,
    ///   address not on this machine, permission).
    public static func start(
        address: ListenAddress,
        responder: AdminResponder,
        limits: Limits = Limits(),
        logger: Logger
    ) async throws(BridgeError) -> AdminHTTPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try Self.configure(channel, limits: limits)
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
            let port = listener.channel.localAddress?.port ?? address.port
            return AdminHTTPServer(
                localAddress: ListenAddress(host: address.host, port: port),
                group: group,
                listener: listener,
                responder: responder,
                limits: limits,
                logger: logger
            )
        } catch {
            try? await group.shutdownGracefully()
            throw BridgeError("Cannot listen on \(address) (http.listen): \(error)")
        }
    }

    /// The pipeline of one connection: idle timer, HTTP/1 codec with the head limit, and NIO's
    /// pipelining and protocol-error handlers (400 on a malformed or oversized head).
    private static func configure(_ channel: any Channel, limits: Limits) throws {
        let operations = channel.pipeline.syncOperations
        let idle = TimeAmount.nanoseconds(Int64(limits.idleTimeout.components.seconds) * 1_000_000_000)
        try operations.addHandler(IdleStateHandler(allTimeout: idle))
        try operations.addHandler(IdleConnectionCloser())
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = limits.maxHeadBytes
        decoderLimits.maxHeaderFieldSize = limits.maxHeadBytes
        try operations.configureHTTPServerPipeline(
            withErrorHandling: true,
            withEncoderConfiguration: .init(),
            withDecoderLimitConfiguration: decoderLimits
        )
    }

    /// Serves until graceful shutdown (or cancellation, which closes every connection at once),
    /// then stops the event loop.
    public func run() async throws {
        logger.notice("HTTP endpoint listening.", metadata: ["http.listen": "\(localAddress)"])
        do {
            try await withTaskCancellationHandler {
                try await withGracefulShutdownHandler {
                    try await acceptConnections()
                } onGracefulShutdown: {
                    self.quiesce()
                }
            } onCancel: {
                self.listener.channel.close(promise: nil)
                self.connections.closeAll()
            }
        } catch {
            logger.debug("HTTP endpoint stopped with an error.", metadata: ["error": "\(error)"])
        }
        try? await group.shutdownGracefully()
        logger.info("HTTP endpoint stopped.")
    }

    /// Stops accepting and asks every connection to close once its reply is out.
    private func quiesce() {
        listener.channel.close(promise: nil)
        for channel in connections.quiesce() {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    private func acceptConnections() async throws {
        try await withThrowingDiscardingTaskGroup { tasks in
            try await listener.executeThenClose { inbound in
                for try await connection in inbound {
                    let admitted = connections.admit(connection.channel)
                    if !admitted { logger.debug("HTTP connection refused: too many open, or stopping.") }
                    tasks.addTask { await self.serve(connection, admitted: admitted) }
                }
            }
        }
    }

    /// Answers one connection's requests, then closes it.
    /// A refused connection is closed at once, through the async wrapper, which must finish
    /// its writer itself.
    private func serve(_ connection: Connection, admitted: Bool) async {
        defer { if admitted { connections.remove(connection.channel) } }
        do {
            try await connection.executeThenClose { inbound, outbound in
                if admitted { try await answerRequests(from: inbound, on: outbound) }
            }
        } catch {
            logger.debug("HTTP connection ended with an error.", metadata: ["error": "\(error)"])
        }
    }

    /// Answers requests in order until the client closes or asks to close, or sends a body
    /// over the limit.
    private func answerRequests(
        from inbound: NIOAsyncChannelInboundStream<HTTPServerRequestPart>,
        on outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var request: HTTPRequestHead?
        var bodyBytes = 0
        for try await part in inbound {
            switch part {
            case .head(let head):
                request = head
                bodyBytes = 0
            case .body(let chunk):
                bodyBytes += chunk.readableBytes
                guard bodyBytes <= limits.maxBodyBytes else {
                    logger.debug("HTTP request body too large; closing.", metadata: ["bytes": "\(bodyBytes)"])
                    return
                }
            case .end:
                guard let head = request else { continue }
                request = nil
                try await answer(head, on: outbound)
                if !head.isKeepAlive { return }
            }
        }
    }

    private func answer(
        _ head: HTTPRequestHead,
        on outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    )
        async throws
    {
        let route = AdminRoute(method: head.method.rawValue, target: head.uri)
        let reply = await responder.reply(to: route)
        if reply.status >= 400 {
            logger.debug(
                "HTTP request refused.",
                metadata: ["http.method": "\(head.method.rawValue)", "http.status": "\(reply.status)"]
            )
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: reply.contentType)
        headers.add(name: "Content-Length", value: "\(reply.body.count)")
        if reply.announcesAllowedMethods { headers.add(name: "Allow", value: AdminRoute.allowedMethods) }
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: reply.status)
        var parts: [HTTPServerResponsePart] = [
            .head(HTTPResponseHead(version: head.version, status: status, headers: headers))
        ]
        if head.method != .HEAD { parts.append(.body(.byteBuffer(ByteBuffer(bytes: reply.body)))) }
        parts.append(.end(nil))
        try await outbound.write(contentsOf: parts)
    }
}

/// Closes a connection when `IdleStateHandler` says it has been idle.
private final class IdleConnectionCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
