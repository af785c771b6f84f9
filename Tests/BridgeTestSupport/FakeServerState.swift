// iotflow-bridge: the state the fake InfluxDB server shares with its socket threads.
// SPDX-License-Identifier: Apache-2.0

import Glibc
import Synchronization

/// Requests, the responder, waiters and open sockets of one `FakeInfluxServer`.
///
/// The socket threads hold this, not the server object, so dropping the last reference to the server still
/// runs its deinit and stops the threads. Safe from any thread; every critical section is short and never
/// suspends or blocks on I/O.
final class FakeServerState: Sendable {
    typealias Responder = @Sendable (RecordedRequest) -> FakeResponse

    private struct Waiter {
        var id: Int
        var count: Int
        var continuation: CheckedContinuation<[RecordedRequest], any Error>
    }

    private struct Storage {
        var responder: Responder
        var requests: [RecordedRequest] = []
        var waiters: [Waiter] = []
        /// Waiters whose task was cancelled before they registered; see `awaitCount`.
        var cancelledWaiters: Set<Int> = []
        var nextWaiterID = 0
        var nextConnectionID = 0
        var openSockets: Set<Int32> = []
        var liveThreads = 0
        var isStopping = false
    }

    private let storage: Mutex<Storage>

    init(responder: @escaping Responder) {
        storage = Mutex(Storage(responder: responder))
    }

    // MARK: - Requests

    var responder: Responder {
        get { storage.withLock { $0.responder } }
        set { storage.withLock { $0.responder = newValue } }
    }

    var requests: [RecordedRequest] {
        storage.withLock { $0.requests }
    }

    /// Appends `request` and wakes every waiter whose count it reaches.
    func record(_ request: RecordedRequest) {
        let (woken, snapshot) = storage.withLock { storage in
            storage.requests.append(request)
            let total = storage.requests.count
            let woken = storage.waiters.filter { $0.count <= total }
            storage.waiters.removeAll { $0.count <= total }
            return (woken, storage.requests)
        }
        // Resume outside the lock: a resumed task may run inline and call back into this object.
        for waiter in woken {
            waiter.continuation.resume(returning: snapshot)
        }
    }

    /// Returns all requests once at least `count` have arrived; throws `CancellationError` if cancelled first.
    func awaitCount(_ count: Int) async throws -> [RecordedRequest] {
        let id = storage.withLock { storage in
            storage.nextWaiterID += 1
            return storage.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Result<[RecordedRequest], any Error>? = storage.withLock { storage in
                    if storage.requests.count >= count {
                        return .success(storage.requests)
                    }
                    // The cancellation handler ran before this registration and found nothing to cancel.
                    if storage.cancelledWaiters.remove(id) != nil {
                        return .failure(CancellationError())
                    }
                    storage.waiters.append(Waiter(id: id, count: count, continuation: continuation))
                    return nil
                }
                if let immediate {
                    continuation.resume(with: immediate)
                }
            }
        } onCancel: {
            let waiter = storage.withLock { storage -> Waiter? in
                if let index = storage.waiters.firstIndex(where: { $0.id == id }) {
                    return storage.waiters.remove(at: index)
                }
                storage.cancelledWaiters.insert(id)
                return nil
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    // MARK: - Sockets and threads

    var isStopping: Bool {
        storage.withLock { $0.isStopping }
    }

    /// Counts a thread about to start; balanced by `threadExited()`.
    func threadStarting() {
        storage.withLock { $0.liveThreads += 1 }
    }

    func threadExited() {
        storage.withLock { $0.liveThreads -= 1 }
    }

    var liveThreads: Int {
        storage.withLock { $0.liveThreads }
    }

    /// Registers an accepted socket and returns its connection ID, or `nil` if the server is stopping (the
    /// caller then closes it).
    func register(_ fd: Int32) -> Int? {
        storage.withLock { storage in
            guard !storage.isStopping else { return nil }
            storage.openSockets.insert(fd)
            storage.nextConnectionID += 1
            return storage.nextConnectionID
        }
    }

    /// Forgets a socket; the caller closes it afterwards.
    ///
    /// Closing only after this returns means `stop()` never calls `shutdown` on a descriptor number that was
    /// already closed and possibly reused by another file.
    func unregister(_ fd: Int32) {
        _ = storage.withLock { $0.openSockets.remove(fd) }
    }

    /// Marks the server as stopping and shuts down every open connection, which wakes threads blocked in
    /// `recv`. Returns whether this call did it (false if already stopping).
    func beginStop() -> Bool {
        storage.withLock { storage in
            guard !storage.isStopping else { return false }
            storage.isStopping = true
            for fd in storage.openSockets {
                shutdown(fd, Int32(SHUT_RDWR))
            }
            return true
        }
    }
}
