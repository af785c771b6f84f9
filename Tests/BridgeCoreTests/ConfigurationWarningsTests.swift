// iotflow-bridge: warnings about what weakens security, and the client certificate's key rule.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct ConfigurationWarningsTests {
    @Test func skippingVerificationIsWarnedWhereTLSIsUsed() {
        var configuration = BridgeConfiguration()
        configuration.mqtt.tls.insecureSkipVerify = true
        configuration.influxdb.tls.insecureSkipVerify = true
        // Neither TLS connection is used: the setting changes nothing.
        #expect(configuration.warnings.isEmpty)
        configuration.mqtt.tlsEnabled = true
        configuration.influxdb.failoverURLs = ["https://influx.example:8086"]
        #expect(
            configuration.warnings.map(\.key) == ["mqtt.tls.insecure_skip_verify", "influxdb.tls.insecure_skip_verify"]
        )
    }

    @Test func aPasswordSentWithoutTLSToAnotherHostIsWarned() {
        var configuration = BridgeConfiguration()
        configuration.mqtt.username = "u"
        configuration.mqtt.password = Secret("hunter2")
        #expect(configuration.warnings.isEmpty)
        configuration.mqtt.host = "broker.example"
        #expect(configuration.warnings.map(\.key) == ["mqtt.password"])
        #expect(configuration.warnings.first?.message.contains("broker.example") == true)
        #expect(!configuration.warnings.contains { $0.message.contains("hunter2") })
        configuration.mqtt.tls.caFile = "/etc/ca.pem"
        #expect(configuration.warnings.isEmpty)
    }

    @Test func aTokenOrPasswordSentOverPlainHTTPToAnotherHostIsWarned() {
        var configuration = BridgeConfiguration()
        configuration.influxdb.token = Secret("tok-1")
        configuration.influxdb.failoverURLs = ["http://localhost:8086", "http://[::1]:8086", "http://127.0.0.2"]
        #expect(configuration.warnings.isEmpty)
        configuration.influxdb.failoverURLs += ["https://secure.example", "http://plain.example:8086/base"]
        configuration.influxdb.username = "u"
        configuration.influxdb.password = Secret("pw-1")
        #expect(configuration.warnings.map(\.key) == ["influxdb.token", "influxdb.password"])
        #expect(!configuration.warnings.contains { $0.message.contains("secure.example") })
        #expect(configuration.warnings.first?.message.contains("to plain.example, not loopback") == true)
        configuration.influxdb.token = nil
        configuration.influxdb.password = nil
        #expect(configuration.warnings.isEmpty)
    }

    @Test(arguments: ["mqtt", "influxdb"])
    func aClientCertificateComesWithItsKey(section: String) {
        func issues(cert: String?, key: String?) -> [String] {
            var configuration = BridgeConfiguration()
            let tls = TLSConfiguration(certFile: cert, keyFile: key)
            if section == "mqtt" { configuration.mqtt.tls = tls } else { configuration.influxdb.tls = tls }
            do {
                try configuration.validate()
                return []
            } catch {
                return error.issues.map(\.key)
            }
        }
        #expect(issues(cert: "c.pem", key: "k.pem").isEmpty)
        #expect(issues(cert: "c.pem", key: nil) == ["\(section).tls.key_file"])
        #expect(issues(cert: nil, key: "k.pem") == ["\(section).tls.cert_file"])
    }
}
