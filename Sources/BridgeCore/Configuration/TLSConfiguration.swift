// iotflow-bridge: the TLS settings of a connection (`mqtt.tls`, `influxdb.tls`).
// SPDX-License-Identifier: Apache-2.0

/// How the bridge verifies a server and proves itself to it over TLS: the keys `mqtt.tls` and
/// `influxdb.tls` share. Unset files mean the system's CAs and no client certificate.
public struct TLSConfiguration: Equatable, Sendable {
    /// The lowest TLS version the bridge accepts (`tls.min_version`).
    public enum Version: String, CaseIterable, Sendable {
        case v1_2 = "1.2"
        case v1_3 = "1.3"
    }

    /// A PEM bundle of the CAs to trust instead of the system's (`tls.ca_file`).
    public var caFile: String?
    /// A directory of hashed CA certificates (`c_rehash`) to trust (`tls.ca_path`).
    public var caPath: String?
    /// The client certificate, PEM, for servers that require one (`tls.cert_file`, mTLS).
    public var certFile: String?
    /// The client certificate's private key, PEM (`tls.key_file`); when unset, the systemd
    /// credential `mqtt-tls-key` or `influxdb-tls-key`, if loaded, is used.
    public var keyFile: String?
    /// The lowest TLS version accepted, 1.2 or 1.3 (`tls.min_version`).
    public var minVersion: Version
    /// Accept any server certificate and name (`tls.insecure_skip_verify`): for a test bench
    /// only; logged as a warning at every start.
    public var insecureSkipVerify: Bool

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(
        caFile: String? = nil,
        caPath: String? = nil,
        certFile: String? = nil,
        keyFile: String? = nil,
        minVersion: Version = .v1_2,
        insecureSkipVerify: Bool = false
    ) {
        self.caFile = caFile
        self.caPath = caPath
        self.certFile = certFile
        self.keyFile = keyFile
        self.minVersion = minVersion
        self.insecureSkipVerify = insecureSkipVerify
    }

    /// Whether any file is set: for MQTT, that turns TLS on.
    public var namesAFile: Bool { caFile != nil || caPath != nil || certFile != nil || keyFile != nil }

    /// The keys, in file order, under `tls.` in the section that holds them.
    static let keys: [SectionKey<Self>] = [
        .key("ca_file", \.caFile, .optionalString),
        .key("ca_path", \.caPath, .optionalString),
        .key("cert_file", \.certFile, .optionalString),
        .key("key_file", \.keyFile, .optionalString),
        .key("min_version", \.minVersion, .quotedChoice),
        .key("insecure_skip_verify", \.insecureSkipVerify, .bool),
    ]
}
