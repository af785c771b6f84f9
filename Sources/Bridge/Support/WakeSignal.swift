// iotflow-bridge: wakes a thread blocked in poll(2), from any thread.
// SPDX-License-Identifier: Apache-2.0

import Glibc
import Synchronization

/// A one-way, sticky stop signal backed by a pipe, so a thread sleeping in `poll(2)` on its
/// socket can include `fileDescriptor` and wake at once. Safe from any thread.
final class WakeSignal: Sendable {
    /// The pipe's read end, to poll for `POLLIN`; readable once `signal()` was called (nothing
    /// ever reads it, so it stays readable).
    let fileDescriptor: CInt
    private let writeEnd: CInt
    private let signalled = Atomic<Bool>(false)

    init() {
        var ends: [CInt] = [-1, -1]
        // pipe fails only when the process is out of file descriptors, at start-up.
        precondition(pipe(&ends) == 0, "pipe failed: \(String(cString: strerror(errno)))")
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        fileDescriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(fileDescriptor)
        close(writeEnd)
    }

    /// Whether `signal()` was called.
    var isSignalled: Bool { signalled.load(ordering: .acquiring) }

    /// Wakes every poller, now and later.
    func signal() {
        guard !signalled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Sleeps until `signal()` or for `timeout`, whichever comes first.
    func wait(for timeout: Duration) {
        var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, CInt(clamping: timeout.roundedUpMilliseconds))
    }
}
