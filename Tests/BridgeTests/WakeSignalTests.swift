// iotflow-bridge: the pipe-backed stop signal a thread in poll(2) wakes on.
// SPDX-License-Identifier: Apache-2.0

import Foundation
import Glibc
import Testing

@testable import Bridge

@Suite(.timeLimit(.minutes(1))) struct WakeSignalTests {
    /// Whether `fileDescriptor` polls readable right now.
    private func isReadable(_ signal: WakeSignal) -> Bool {
        var descriptor = pollfd(fd: signal.fileDescriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 1 && descriptor.revents & Int16(POLLIN) != 0
    }

    @Test func aSignalIsStickyAndMakesThePipeReadable() {
        let signal = WakeSignal()
        #expect(!signal.isSignalled && !isReadable(signal))
        #expect(fcntl(signal.fileDescriptor, F_GETFD) & FD_CLOEXEC != 0, "not inherited by children")
        signal.signal()
        signal.signal()
        #expect(signal.isSignalled && isReadable(signal))
        // Stays readable: every later poll wakes at once.
        let started = ContinuousClock.now
        signal.wait(for: .seconds(50))
        signal.wait(for: .seconds(50))
        #expect(ContinuousClock.now - started < .seconds(50) && isReadable(signal))
    }

    @Test func aSignalFromAnotherThreadWakesAWaiter() {
        let signal = WakeSignal()
        let started = ContinuousClock.now
        Thread { signal.signal() }.start()
        signal.wait(for: .seconds(50))
        #expect(ContinuousClock.now - started < .seconds(50), "woken by the signal, not the timeout")
        #expect(signal.isSignalled)
    }

    @Test func withoutASignalTheWaitEndsAtItsTimeout() {
        let signal = WakeSignal()
        let started = ContinuousClock.now
        signal.wait(for: .milliseconds(20))
        #expect(ContinuousClock.now - started >= .milliseconds(20) && !signal.isSignalled)
    }
}
