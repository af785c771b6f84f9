// iotflow-bridge: a failed https request, told in terms of the `influxdb.tls` keys.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Curl

extension CurlError {
    /// One line for the log: for a TLS failure, the `influxdb.tls` key to look at and its value,
    /// then libcurl's text, which carries OpenSSL's reason ("SSL certificate problem: unable to get
    /// local issuer certificate"); any other failure is libcurl's text alone. Paths only: no key
    /// or certificate content is ever read here.
    func described(with tls: TLSConfiguration) -> String {
        guard let failure = tlsFailure else { return description }
        return "TLS failed (\(Self.keys(for: failure, tls))): \(description)"
    }

    private static func keys(for failure: TLSFailure, _ tls: TLSConfiguration) -> String {
        switch failure {
        case .serverCertificate:
            if let caFile = tls.caFile { return "influxdb.tls.ca_file=\(caFile)" }
            if let caPath = tls.caPath { return "influxdb.tls.ca_path=\(caPath)" }
            return "influxdb.tls.ca_file unset: the system CAs"
        case .clientCertificate:
            guard let certFile = tls.certFile else { return "influxdb.tls.cert_file unset" }
            return "influxdb.tls.cert_file=\(certFile), influxdb.tls.key_file=\(tls.keyFile ?? certFile)"
        case .handshake:
            return "influxdb.url, influxdb.tls.min_version=\(tls.minVersion.rawValue)"
        }
    }
}
