// iotflow-bridge: every configuration problem found, each naming its key.
// SPDX-License-Identifier: Apache-2.0

/// All the problems found in a configuration, so one `check-config` run reports every mistake.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One problem: the dotted key (`influxdb.batch_size`) and what is wrong with it.
    public struct Issue: Equatable, Sendable, CustomStringConvertible {
        /// The dotted key, as written in the file.
        public var key: String
        /// What is wrong and what is allowed; never contains a secret value.
        public var message: String

        /// An issue for `key`.
        public init(key: String, message: String) {
            self.key = key
            self.message = message
        }

        public var description: String { "\(key): \(message)" }
    }

    /// The problems, in key order of discovery.
    public var issues: [Issue]

    /// An error with these issues.
    public init(issues: [Issue]) {
        self.issues = issues
    }

    public var description: String {
        issues.map(\.description).joined(separator: "; ")
    }

    /// The report `check-config` prints: a count, then one indented `key: message` line each.
    public var report: String {
        var text = "\(issues.count) configuration problem\(issues.count == 1 ? "" : "s"):\n"
        for issue in issues { text += "  \(issue)\n" }
        return text
    }
}
