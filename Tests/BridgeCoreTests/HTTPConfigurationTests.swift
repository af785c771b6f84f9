// iotflow-bridge: http.listen: parsing, validation and the non-loopback warning.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct HTTPConfigurationTests {
    @Test(arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464),
        ("0.0.0.0:1", "0.0.0.0", 1),
        ("[::1]:9464", "::1", 9464),
        ("[::]:65535", "::", 65535),
        ("[fe80::1:2]:80", "fe80::1:2", 80),
        ("[::ffff:10.0.0.1]:80", "::ffff:10.0.0.1", 80),
    ])
    func parsesAddresses(text: String, host: String, port: Int) throws {
        let address = try ListenAddress.parse(text).get()
        #expect(address == ListenAddress(host: host, port: port))
        #expect(address.description == text)
    }

    @Test(arguments: [
        "localhost:9464", "example.com:80", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http",
        "256.0.0.1:80", "[::1]", "[::1]9464", "[1::2::3]:80", "[12345::]:80", "::1:9464", "[g::1]:80",
    ])
    func refusesAnythingButAnAddressAndPort(text: String) {
        #expect(throws: ListenAddress.Problem.self) { try ListenAddress.parse(text).get() }
    }

    @Test func aHostNameIsNamedAsTheProblem() throws {
        var configuration = BridgeConfiguration()
        configuration.http.listen = "localhost:9464"
        let error = try #require(throws: ConfigurationError.self) { try configuration.validate() }
        #expect(error.issues.map(\.key) == ["http.listen"])
        #expect(error.issues.first?.message.contains("not a host name") == true)
    }

    @Test func emptyTurnsTheEndpointOffAndIsValid() throws {
        var configuration = BridgeConfiguration()
        configuration.http.listen = ""
        try configuration.validate()
        #expect(configuration.http.listenAddress == nil)
    }

    @Test func theDefaultIsLoopbackWithoutWarning() throws {
        let configuration = BridgeConfiguration()
        #expect(configuration.http.listenAddress == ListenAddress(host: "127.0.0.1", port: 9464))
        #expect(!configuration.warnings.contains { $0.key == "http.listen" })
    }

    @Test(arguments: ["0.0.0.0:9464", "[::]:9464", "192.168.1.5:9464"])
    func aNonLoopbackAddressIsAWarning(listen: String) throws {
        var configuration = BridgeConfiguration()
        configuration.http.listen = listen
        try configuration.validate()
        let warning = try #require(configuration.warnings.first { $0.key == "http.listen" })
        #expect(warning.message.contains("without authentication"))
    }

    @Test func theKeyHasItsEnvironmentVariable() {
        let key = BridgeConfiguration.keys.first { $0.name == "http.listen" }
        #expect(key?.environmentVariable == "HTTP_LISTEN")
    }
}
