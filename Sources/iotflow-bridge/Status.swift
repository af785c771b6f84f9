// iotflow-bridge: `iotflow-bridge status`: one screen about a running bridge.
// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Bridge
import BridgeCore
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a running bridge's health, rates, buffer and silent devices; exit 0 pass, 1 warn, 2 fail.",
        discussion: "Exit code 2 also when the bridge cannot be reached or its reply cannot be read."
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: "The bridge's admin endpoint (default: http:// and http.listen from the configuration).")
    var url: String?

    func run() async throws {
        let base = try await baseURL()
        LibraryBootstrap.initialize()
        defer { LibraryBootstrap.cleanup() }
        do {
            let (report, listing) = try StatusClient.fetch(baseURL: base)
            print(StatusScreen.render(report, listing), terminator: "")
            let code = StatusScreen.exitCode(for: report.status)
            if code != 0 { throw ExitCode(code) }
        } catch let error as BridgeError {
            FileHandle.standardError.write(Data("iotflow-bridge status: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// `--url`, else the configured `http.listen` (an unspecified address asked on loopback),
    /// else the default when the configuration cannot be read or turns the endpoint off.
    private func baseURL() async throws -> String {
        if let url { return url }
        let fallback = "http://127.0.0.1:9464"
        guard let address = try? await options.load().http.listenAddress else { return fallback }
        let host =
            switch address.host {
            case "0.0.0.0": "127.0.0.1"
            case "::": "::1"
            default: address.host
            }
        return "http://\(ListenAddress(host: host, port: address.port))"
    }
}
