// iotflow-bridge: check-config's look at the files the configuration names.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Foundation
import Glibc

extension BridgeConfiguration {
    /// What `check-config` finds wrong in the TLS files: for each of `ca_file`, `cert_file` and
    /// `key_file` set, that it exists, is readable and parses as PEM, and that the key is the
    /// certificate's; `ca_path` must be a readable directory. One issue per bad file, naming its
    /// key. Not part of loading (`load` stays cheap, and a reload does not re-read the files): the
    /// libraries read them at each connect.
    public var tlsFileProblems: [ConfigurationError.Issue] {
        Self.tlsFileProblems(mqtt.tls, section: "mqtt") + Self.tlsFileProblems(influxdb.tls, section: "influxdb")
    }

    /// What `check-config` warns about in the files holding secrets: a password, token or TLS
    /// key file, or the configuration file `configFile` when it holds a secret key, that its group
    /// or others may read. Files in `$CREDENTIALS_DIRECTORY` are systemd's to protect (a private
    /// mount only the unit may read, whose file modes may show an ACL's mask), so they are left out.
    public func secretFileWarnings(
        configFile: String?,
        environment: [String: String]
    ) -> [ConfigurationError.Issue] {
        let credentials = environment["CREDENTIALS_DIRECTORY"].map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        let secretFiles = [
            ("mqtt.password_file", mqtt.passwordFile), ("influxdb.token_file", influxdb.tokenFile),
            ("mqtt.tls.key_file", mqtt.tls.keyFile), ("influxdb.tls.key_file", influxdb.tls.keyFile),
        ]
        var warnings: [ConfigurationError.Issue] = []
        for case (let key, let path?) in secretFiles where !(credentials.map(path.hasPrefix) ?? false) {
            guard let readers = Self.readers(of: path) else { continue }
            warnings.append(
                .init(key: key, message: "'\(path)' is readable by \(readers); chmod 600, or use a systemd credential")
            )
        }
        if let configFile, let readers = Self.readers(of: configFile) {
            let secretKeys = Set(Self.keys.filter(\.isSecret).map(\.name))
            let inFile = ((try? Self.yamlKeys(atPath: configFile)) ?? []).filter { secretKeys.contains($0) }
            warnings += inFile.map {
                .init(
                    key: $0,
                    message:
                        "is in '\(configFile)', which is readable by \(readers); chmod 600 it, or move the secret out of it"
                )
            }
        }
        return warnings
    }

    private static func tlsFileProblems(_ tls: TLSConfiguration, section: String) -> [ConfigurationError.Issue] {
        let problems = [
            ("ca_file", tls.caFile.flatMap(PEMFiles.certificatesProblem)),
            ("ca_path", tls.caPath.flatMap(directoryProblem)),
            ("cert_file", tls.certFile.flatMap(PEMFiles.certificateProblem)),
            ("key_file", tls.keyFile.flatMap { PEMFiles.keyProblem(atPath: $0, certificatePath: tls.certFile) }),
        ]
        return problems.compactMap { key, problem in
            problem.map { ConfigurationError.Issue(key: "\(section).tls.\(key)", message: $0) }
        }
    }

    private static func directoryProblem(_ path: String) -> String? {
        guard let directory = opendir(path) else {
            return "cannot open the directory \(path): \(String(cString: strerror(errno)))"
        }
        closedir(directory)
        return nil
    }

    /// Who besides the owner may read the file ("others (mode 0644)"); nil when nobody may, or
    /// when it cannot be looked at (which the file's own check reports).
    private static func readers(of path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & 0o044 != 0 else { return nil }
        let who = status.st_mode & 0o004 != 0 ? "others" : "its group"
        return "\(who) (mode 0\(String(status.st_mode & 0o777, radix: 8)))"
    }
}
