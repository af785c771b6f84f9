// iotflow-bridge: an in-process HTTP/1.1 server that stands in for InfluxDB in transport tests.
// SPDX-License-Identifier: Apache-2.0

public import Foundation
import Glibc

/// A loopback HTTP/1.1 server that records every request and answers from a script.
///
/// It listens on 127.0.0.1 on a port chosen by the kernel, accepts on its own thread and serves each
/// connection on another, so a delayed response on one connection does not hold up the rest. It speaks
/// enough HTTP for libcurl: keep-alive, `Content-Length` and chunked bodies, `Expect: 100-continue`. Each
/// request is recorded (and waiters woken) before `responder` runs and before any scripted delay, so a test
/// can observe a request while its response is still pending.
///
/// ```swift
/// let server = try FakeInfluxServer { request in
///     request.query["db"] == "iot" ? .noContent : .v1Error(status: 404, message: #"database not found: "x""#)
/// }
/// defer { server.stop() }
/// // ... point the writer at server.baseURL ...
/// let requests = try await server.waitForRequests(count: 2)
/// ```
///
/// Safe from any thread. `stop()` is called by deinit as well; the socket threads do not keep the server
/// alive.
public final class FakeInfluxServer: Sendable {
    /// Always "127.0.0.1".
    public let host = "127.0.0.1"
    /// The port the kernel assigned.
    public let port: UInt16
    /// `http://127.0.0.1:<port>`.
    public let baseURL: URL

    private let listener: Int32
    private let state: FakeServerState

    /// Starts listening and accepting at once.
    ///
    /// - Parameters:
    ///   - port: the port to listen on; 0 (the default) picks a free one. Passing the port of a
    ///     stopped server brings "the same server" back, for outage tests.
    ///   - responder: the initial script; by default every request gets 204 No Content.
    /// - Throws: `HarnessError` if the socket cannot be bound.
    public init(
        port requestedPort: UInt16 = 0,
        responder: @escaping @Sendable (RecordedRequest) -> FakeResponse = { _ in .noContent }
    ) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(String(cString: strerror(errno)))") }
        // A stopped server's port may linger in TIME_WAIT; rebinding it must still work.
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in.loopback(port: requestedPort)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 128) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard ok else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HarnessError("cannot listen on 127.0.0.1: \(reason)")
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        baseURL = LoopbackHTTP.url(port: port, path: "")
        state = FakeServerState(responder: responder)
        Self.startThread(named: "fake-influx-accept", state: state) { [state] in
            Self.acceptLoop(listener: fd, state: state)
        }
    }

    deinit {
        stop()
    }

    /// The script for the next responses; replace it at any time, even while requests are in flight.
    ///
    /// It runs on a connection thread, so it must not block for long; use `FakeResponse.delay` for slow
    /// replies.
    public var responder: @Sendable (RecordedRequest) -> FakeResponse {
        get { state.responder }
        set { state.responder = newValue }
    }

    /// Every request received so far, oldest first.
    public var requests: [RecordedRequest] {
        state.requests
    }

    /// Waits until at least `count` requests have been received and returns all of them.
    ///
    /// - Parameter timeout: how long to wait; 10 s by default.
    /// - Throws: `HarnessError` naming the number received if `timeout` passes first, or `CancellationError`.
    @discardableResult
    public func waitForRequests(count: Int, timeout: Duration = .seconds(10)) async throws -> [RecordedRequest] {
        try await withThrowingTaskGroup(of: [RecordedRequest].self) { group in
            group.addTask { [state] in
                try await state.awaitCount(count)
            }
            group.addTask { [state] in
                try await Task.sleep(for: timeout)
                throw HarnessError("expected \(count) requests within \(timeout), received \(state.requests.count)")
            }
            defer { group.cancelAll() }
            // Two tasks were added, so next() returns a value or throws; it cannot run out.
            guard let requests = try await group.next() else { throw CancellationError() }
            return requests
        }
    }

    /// Stops accepting, closes every connection and waits up to 5 s for the socket threads to finish.
    ///
    /// Idempotent. In-flight requests get no response; clients see the connection reset or closed.
    public func stop() {
        guard state.beginStop() else { return }
        // Wakes the accept thread: accept() on a shut-down listener fails with EINVAL on Linux.
        shutdown(listener, Int32(SHUT_RDWR))
        let deadline = ContinuousClock.now + .seconds(5)
        while state.liveThreads > 0 && ContinuousClock.now < deadline {
            usleep(1_000)
        }
        // Closed here, not by the accept thread, so the descriptor cannot be reused before the shutdown above.
        close(listener)
    }

    // MARK: - Threads

    private static func startThread(named name: String, state: FakeServerState, body: @escaping @Sendable () -> Void) {
        state.threadStarting()
        let thread = Thread {
            body()
            state.threadExited()
        }
        thread.name = name
        thread.start()
    }

    private static func acceptLoop(listener: Int32, state: FakeServerState) {
        while !state.isStopping {
            // accept4(SOCK_CLOEXEC) is hidden behind _GNU_SOURCE in Glibc's module map; fcntl right after leaves
            // only a microsecond window in which a server spawned concurrently could inherit the socket.
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else {
                if state.isStopping { return }
                // EINTR, ECONNABORTED, or EMFILE under load: back off briefly instead of spinning.
                usleep(1_000)
                continue
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            guard let connectionID = state.register(fd) else {
                close(fd)
                return
            }
            var noDelay: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
            startThread(named: "fake-influx-conn-\(connectionID)", state: state) {
                var connection = FakeHTTPConnection(fd: fd, connectionID: connectionID, state: state)
                connection.serve()
                state.unregister(fd)
                close(fd)
            }
        }
    }
}
