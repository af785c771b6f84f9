// iotflow-bridge: a child process that the test harness owns and always cleans up.
// SPDX-License-Identifier: Apache-2.0

public import Foundation
import Glibc
import Synchronization

/// A running child process whose stdout and stderr go to a log file, and which cannot outlive its owner.
///
/// The process starts in `init`. It is killed with SIGKILL when this object is deinitialised while it still
/// runs, and, through `setpriv --pdeathsig KILL` when `/usr/bin/setpriv` exists, by the kernel if the test
/// process dies first, so a crashed test run leaves no servers behind. Every child is forked from one
/// long-lived thread with no signals blocked (see `ProcessSpawner`): forked from a Swift-concurrency thread
/// it would inherit a mask that blocks SIGTERM and could only be stopped with SIGKILL.
///
/// Safe from any thread: the Foundation `Process` sits behind a mutex.
public final class ManagedProcess: Sendable {
    /// The executable as given to `init`.
    public let executable: String
    /// The arguments as given to `init`.
    public let arguments: [String]
    /// The file that receives the child's stdout and stderr. Appended to, never truncated, so one file can
    /// collect several runs of the same server.
    public let logURL: URL
    /// The child's process ID. With `setpriv` in front it is still the server's PID, because `setpriv`
    /// replaces itself with the server through `exec`.
    public let pid: Int32

    private let process: Mutex<Process>

    /// Starts `executable` with `arguments`.
    ///
    /// - Parameters:
    ///   - executable: absolute path of the program.
    ///   - arguments: its arguments, without the program name.
    ///   - environment: variables to set on top of this process's environment.
    ///   - logURL: file to append stdout and stderr to; created if missing.
    /// - Throws: `HarnessError` if the log file cannot be opened or the program cannot be started.
    public init(
        executable: String,
        arguments: [String] = [],
        environment: [String: String] = [:],
        logURL: URL
    ) throws {
        let fd = open(logURL.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw HarnessError("cannot open \(logURL.path): \(String(cString: strerror(errno)))")
        }
        // Process dup2()s the handle onto the child's fds 1 and 2 (which clears O_CLOEXEC there); the parent's
        // copy stays close-on-exec so other children do not inherit it, and closes when the Process is freed.
        let log = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let child = Process()
        let setpriv = "/usr/bin/setpriv"
        if access(setpriv, X_OK) == 0 {
            child.executableURL = URL(fileURLWithPath: setpriv)
            child.arguments = ["--pdeathsig", "KILL", "--", executable] + arguments
        } else {
            child.executableURL = URL(fileURLWithPath: executable)
            child.arguments = arguments
        }
        child.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        child.standardInput = FileHandle.nullDevice
        child.standardOutput = log
        child.standardError = log
        do {
            try ProcessSpawner.shared.run(child)
        } catch {
            throw HarnessError("cannot start \(executable): \(error)")
        }
        self.executable = executable
        self.arguments = arguments
        self.logURL = logURL
        self.pid = child.processIdentifier
        self.process = Mutex(child)
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
        }
    }

    /// Whether the child has not exited yet.
    public var isRunning: Bool {
        process.withLock { $0.isRunning }
    }

    /// The exit status, or the signal number if a signal ended the child; `nil` while it runs.
    public var terminationStatus: Int32? {
        process.withLock { $0.isRunning ? nil : $0.terminationStatus }
    }

    /// Stops the child gracefully: SIGTERM, up to `timeout` to exit, then SIGKILL and up to 5 s more.
    ///
    /// Returns once the child has exited, or when both waits have run out (a process stuck in the kernel);
    /// never throws, so it is safe in cleanup paths.
    public func terminate(timeout: Duration = .seconds(10)) async {
        guard signalIfRunning(SIGTERM) else { return }
        if await waitForExit(within: timeout) { return }
        kill9Now()
        _ = await waitForExit(within: .seconds(5))
    }

    /// Kills the child with SIGKILL, as a crash or power cut would, and waits up to 5 s for it to exit.
    public func kill9() async {
        kill9Now()
        _ = await waitForExit(within: .seconds(5))
    }

    /// The log file's current contents, decoded as UTF-8 with invalid bytes replaced; empty if unreadable.
    public func logText() -> String {
        let data = (try? Data(contentsOf: logURL)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The last `lineCount` lines of the log, for error messages.
    public func logTail(lines lineCount: Int = 20) -> String {
        logText().split(separator: "\n", omittingEmptySubsequences: false).suffix(lineCount).joined(separator: "\n")
    }

    // MARK: - Private

    private func kill9Now() {
        _ = signalIfRunning(SIGKILL)
    }

    /// Sends `signal` by PID. Checking `isRunning` under the lock first keeps the signal from reaching a
    /// reused PID after Foundation has reaped the child.
    private func signalIfRunning(_ signal: Int32) -> Bool {
        process.withLock { child in
            guard child.isRunning else { return false }
            kill(pid, signal)
            return true
        }
    }

    /// Polls every 10 ms because Foundation offers no awaitable exit; returns whether the child exited.
    private func waitForExit(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= deadline { return false }
            do {
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                // A cancelled task still has to reap its servers; sleep without spinning.
                usleep(10_000)
            }
        }
        return true
    }
}
