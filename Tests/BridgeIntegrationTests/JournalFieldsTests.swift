// iotflow-bridge: the built binary under a fake journald: a refusal arrives as a native journal
// entry whose fields name the device, the topic and the reason; a failed write names the HTTP
// status and carries the server's two-line message whole.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Glibc
import Testing

/// Runs a program inside a private mount namespace in which a directory is bind-mounted over
/// `/run/systemd/journal`, where sd_journal_sendv always sends. Nothing on the host changes: a
/// tmpfs covers `/run/systemd` (or `/run`, where the host has no `/run/systemd`) in the namespace
/// only, and the journal directory is made inside it.
enum JournalNamespace {
    static let unshare = "/usr/bin/unshare"

    /// Why mount namespaces cannot be used here (not root, no `unshare`), or nil when they can.
    static let problem: String? = {
        guard access(unshare, X_OK) == 0 else { return "\(unshare) is missing (apt-get install util-linux)" }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: unshare)
        probe.arguments = ["--mount", "--propagation", "private", "true"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        do { try probe.run() } catch { return "cannot run \(unshare): \(error)" }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? nil : "unshare --mount failed (it needs root or CAP_SYS_ADMIN)"
    }()

    /// The program and arguments that run `executable` with `directory` as `/run/systemd/journal`.
    static func command(journal directory: String, executable: String, arguments: [String]) -> [String] {
        let script = """
            set -e
            if [ -d /run/systemd ]; then mount -t tmpfs tmpfs /run/systemd; else mount -t tmpfs tmpfs /run; fi
            mkdir -p /run/systemd/journal
            mount --bind "$0" /run/systemd/journal
            exec "$@"
            """
        return [unshare, "--mount", "--propagation", "private", "/bin/sh", "-c", script, directory, executable]
            + arguments
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the suite where mount namespaces work; skips it visibly otherwise, except in CI or
    /// under scripts/test.sh, where it runs and fails.
    static var requiresMountNamespace: Self {
        .enabled(if: JournalNamespace.problem == nil || Integration.mustRun, "\(JournalNamespace.problem ?? "")")
    }
}

@Suite(.requiresRealServers, .requiresMountNamespace, .serialized, .timeLimit(.minutes(2)))
struct JournalFieldsTests {
    @Test func aRefusalReachesTheJournalWithTheDeviceTopicAndReasonAsFields() async throws {
        try Integration.requireServers()
        try #require(JournalNamespace.problem == nil, "\(JournalNamespace.problem ?? "")")
        let broker = try MosquittoBroker()
        try await broker.start()
        // Writes fail with a two-line message: its field goes in the protocol's binary form.
        let sink = try FakeInfluxServer { request in
            request.path == "/write"
                ? .v1Error(status: 503, message: "overloaded\nsecond line") : FakeResponse(status: 204)
        }
        let journal = try FakeJournalSocket()
        defer { journal.stop() }
        // The writes keep failing: a short drain ends the run soon after SIGTERM.
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: sink.baseURL.absoluteString,
            extra: ["SHUTDOWN_DRAIN": "1s"]
        )

        // The bridge's stderr is this file; JOURNAL_STREAM names it, as systemd names its stream socket.
        let log = URL(fileURLWithPath: temporaryPath("iotflow-journal", extension: "log"))
        try Data().write(to: log)
        defer { try? FileManager.default.removeItem(at: log) }
        var status = stat()
        try #require(stat(log.path, &status) == 0)
        let command = JournalNamespace.command(
            journal: journal.directory,
            executable: try Integration.product("iotflow-bridge"),
            arguments: ["run"]
        )
        let process = try ManagedProcess(
            executable: command[0],
            arguments: Array(command.dropFirst()),
            environment: bridge.environment.merging(["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino)"]) { $1 },
            logURL: log
        )
        try await eventually(timeout: .seconds(30), "the bridge to subscribe") {
            guard process.isRunning else { throw HarnessError("the bridge exited: \(process.logTail())") }
            return journal.entries.contains { $0["MESSAGE"]?.hasPrefix("Subscribed.") == true }
        }

        let device = "dev-journal-\(UUID().uuidString.prefix(6))"
        let topic = "iotflow/devices/\(device)/telemetry/environment"
        try await publishRaw(port: broker.port, topic: topic, payload: "{\"temperature\": 21.5,")
        try await eventually(timeout: .seconds(30), "the refusal in the journal") {
            journal.entries.contains { $0["DEVICE_ID"] == device }
        }
        try await publishRaw(port: broker.port, topic: topic, payload: "{\"temperature\": 21.5}")
        try await eventually(timeout: .seconds(30), "the failed write in the journal") {
            journal.entries.contains { $0["HTTP_STATUS"] != nil }
        }
        await process.terminate(timeout: .seconds(30))

        let entries = journal.entries
        #expect(journal.malformedDatagrams.isEmpty, "\(journal.malformedDatagrams)")
        for entry in entries {
            #expect(entry["PRIORITY"].flatMap(Int.init).map { (0...7).contains($0) } == true, "\(entry)")
            #expect(entry["SYSLOG_IDENTIFIER"] == "iotflow-bridge", "\(entry)")
            #expect(entry["CODE_FILE"]?.hasSuffix(".swift") == true, "\(entry)")
            #expect(entry["CODE_LINE"].flatMap(Int.init).map { $0 > 0 } == true, "\(entry)")
            #expect(entry["CODE_FUNC"]?.isEmpty == false, "\(entry)")
        }
        let refusal = try #require(entries.first { $0["DEVICE_ID"] == device })
        #expect(refusal["PRIORITY"] == "4")
        #expect(refusal["MQTT_TOPIC"] == topic)
        let reason = try #require(refusal["REFUSAL_REASON"])
        #expect(reason == "malformed_json")
        let message = try #require(refusal["MESSAGE"])
        #expect(message.hasPrefix("Message refused. "), "\(message)")
        #expect(
            message.contains(" device_id=\(device) ") && message.contains(" refusal.reason=\(reason)"),
            "\(message)"
        )
        let failed = try #require(entries.first { $0["HTTP_STATUS"] != nil })
        #expect(failed["HTTP_STATUS"] == "503" && failed["PRIORITY"] == "3", "\(failed)")
        #expect(failed["INFLUX_MESSAGE"] == "overloaded\nsecond line", "\(failed)")
        #expect(failed["MESSAGE"]?.contains(#"influx.message="overloaded\nsecond line""#) == true, "\(failed)")
        #expect(entries.contains { $0["MESSAGE"]?.hasPrefix("Stopped") == true }, "\(entries.map(\.description))")
        // The journal took every entry, so nothing fell back to stderr.
        #expect(!process.logText().contains("Message refused."), "\(process.logText())")
        withExtendedLifetime(sink) {}
    }
}
