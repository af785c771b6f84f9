// iotflow-bridge: the start/stop/readiness logic shared by the real test servers.
// SPDX-License-Identifier: Apache-2.0

import Foundation
import Glibc
import Synchronization

/// One server executable with a scratch directory, started and stopped any number of times.
///
/// The public server types own one each and add their config files and HTTP helpers. Safe from any
/// thread; `start` and `stop` are not meant to race each other, and `start` refuses to run twice.
final class ServerProcess: Sendable {
    /// Human-readable name for error messages, such as "influxd".
    let name: String
    let executable: String
    /// Holds the config, the data and the log; removed in deinit.
    let directory: URL
    /// `<directory>/<name>.log`, shared by every run so a restart's log follows the previous one.
    let logURL: URL

    private let state = Mutex<State>(State())

    private struct State {
        var process: ManagedProcess?
        var lastStartDuration: Duration?
    }

    init(name: String, executable: String) throws {
        self.name = name
        self.executable = executable
        self.directory = try ScratchDirectory.make(prefix: name)
        self.logURL = directory.appendingPathComponent("\(name).log")
    }

    deinit {
        // Kill first: removing the directory under a live server makes it log confusing I/O errors.
        let process = state.withLock { $0.process.take() }
        if let process, process.isRunning {
            kill(process.pid, SIGKILL)
        }
        ScratchDirectory.remove(directory)
    }

    var isRunning: Bool {
        state.withLock { $0.process?.isRunning ?? false }
    }

    var lastStartDuration: Duration? {
        state.withLock { $0.lastStartDuration }
    }

    /// Launches the server and waits until `isReady` says it serves, the process exits, or `timeout` passes.
    ///
    /// - Throws: `HarnessError` with the tail of the log if the server exits or is not ready in time; the
    ///   process is stopped before throwing.
    func start(arguments: [String], timeout: Duration, isReady: () async -> Bool) async throws {
        let began = ContinuousClock.now
        let process = try state.withLock { state in
            if let running = state.process, running.isRunning {
                throw HarnessError("\(name) is already running as PID \(running.pid)")
            }
            let process = try ManagedProcess(executable: executable, arguments: arguments, logURL: logURL)
            state.process = process
            return process
        }
        let ready = await Polling.wait(timeout: timeout) {
            guard process.isRunning else { return true }
            return await isReady()
        }
        guard process.isRunning else {
            let status = process.terminationStatus.map(String.init) ?? "?"
            throw HarnessError("\(name) exited with status \(status) while starting:\n\(process.logTail())")
        }
        guard ready else {
            await process.terminate(timeout: .seconds(5))
            throw HarnessError("\(name) was not ready within \(timeout):\n\(process.logTail())")
        }
        let elapsed = ContinuousClock.now - began
        state.withLock { $0.lastStartDuration = elapsed }
    }

    /// Stops the server with SIGTERM (SIGKILL after `timeout`); does nothing if it is not running.
    func stop(timeout: Duration = .seconds(10)) async {
        let process = state.withLock { $0.process }
        await process?.terminate(timeout: timeout)
    }

    /// Kills the server with SIGKILL, as a crash would.
    func kill9() async {
        let process = state.withLock { $0.process }
        await process?.kill9()
    }

    func logText() -> String {
        let data = (try? Data(contentsOf: logURL)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes a generated config file into the scratch directory and returns its path.
    func writeConfiguration(_ text: String, named fileName: String) throws -> URL {
        let url = directory.appendingPathComponent(fileName)
        do {
            try Data(text.utf8).write(to: url)
        } catch {
            throw HarnessError("cannot write \(url.path): \(error)")
        }
        return url
    }
}
