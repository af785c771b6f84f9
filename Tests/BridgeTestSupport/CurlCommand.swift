// iotflow-bridge: the harness's https client: the curl command, trusting one CA file.
// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Sends one request with `/usr/bin/curl --cacert`: URLSession on Linux cannot be told to trust a
/// test CA for one request, and the harness must not reuse the bridge's own libcurl wrapper to check
/// the bridge. Each call runs one short `curl` process, bounded by `--max-time`.
enum CurlCommand {
    /// Sends `method` to `url`, verifying the server against `caFile`, and returns the reply.
    ///
    /// - Throws: `HarnessError` when curl is missing or gets no reply (its stderr says why).
    static func send(
        _ method: String,
        _ url: URL,
        caFile: URL,
        body: Data? = nil,
        headers: [String: String] = [:],
        timeout: Duration = .seconds(10)
    ) throws -> HTTPReply {
        guard let curl = ServerBinaries.find("curl", preferring: "/usr/bin/curl") else {
            throw HarnessError("curl is not installed (apt-get install curl)")
        }
        let bodyFile = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
        try (body ?? Data()).write(to: bodyFile)
        defer { try? FileManager.default.removeItem(at: bodyFile) }
        // The status goes on a last line of its own after the body.
        var arguments = [
            "--silent", "--show-error", "--cacert", caFile.path, "--max-time", "\(timeout.components.seconds)",
            "--request", method, "--write-out", "\n%{http_code}",
        ]
        if body != nil { arguments += ["--data-binary", "@" + bodyFile.path] }
        for (name, value) in headers { arguments += ["--header", "\(name): \(value)"] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: curl)
        process.arguments = arguments + [url.absoluteString]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read before waiting: a child blocked on a full pipe would never exit.
        let reply = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let newline = reply.lastIndex(of: UInt8(ascii: "\n")),
            let status = Int(String(decoding: reply[(newline + 1)...], as: UTF8.self))
        else {
            throw HarnessError(
                "curl \(method) \(url.absoluteString) failed: \(String(decoding: stderr, as: UTF8.self))"
            )
        }
        return HTTPReply(status: status, headers: [:], body: Data(reply[..<newline]))
    }
}
