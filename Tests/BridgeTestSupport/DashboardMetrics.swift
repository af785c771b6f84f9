// iotflow-bridge: the metric names a Grafana dashboard queries, checked against a /metrics exposition.
// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Reads the bridge's metric names out of a Grafana dashboard and finds those a Prometheus text
/// exposition does not carry, so a renamed or dropped metric breaks a test instead of a panel.
///
/// Only the `expr` of each panel target is read, in top-level panels and in the `panels` of rows
/// (collapsed rows keep their panels there); descriptions, legends and template variables are not
/// queries the panels depend on.
public enum DashboardMetrics {
    /// The suffixes of a histogram's (or summary's) sample lines.
    private static let familySuffixes = ["_bucket", "_sum", "_count"]

    /// Every `iotflow_bridge_[a-z0-9_]+` name in every panel target's `expr` of the dashboard at `path`.
    ///
    /// Throws what reading or parsing the file throws, or a `HarnessError` if the JSON is not an object.
    public static func metricNames(inDashboardAt path: String) throws -> Set<String> {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let dashboard = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HarnessError("\(path): the dashboard is not a JSON object")
        }
        var names = Set<String>()
        collect(from: dashboard["panels"], into: &names)
        return names
    }

    /// The names in `names` that no sample line of `exposition` carries.
    ///
    /// A name is present when a sample line's metric name (the text before `{` or the first blank)
    /// equals it; `# HELP` and `# TYPE` lines do not count. A histogram's `X_bucket`, `X_sum` and
    /// `X_count` stand for one family: any of them makes all three, and the bare `X`, present, since an
    /// exposition may leave out a family's empty parts.
    public static func missing(_ names: Set<String>, in exposition: String) -> Set<String> {
        var present = Set<String>()
        var families = Set<String>()  // X for every X_bucket, X_sum or X_count sampled
        for line in exposition.split(separator: "\n") {
            guard let name = sampleName(line) else { continue }
            present.insert(String(name))
            if let base = familyBase(name) { families.insert(base) }
        }
        return names.filter { name in
            !present.contains(name) && !families.contains(familyBase(name) ?? name)
        }
    }

    /// Adds the names in the targets of each panel in `panels` (a JSON array), and of nested panels.
    private static func collect(from panels: Any?, into names: inout Set<String>) {
        guard let panels = panels as? [Any] else { return }
        for case let panel as [String: Any] in panels {
            for case let target as [String: Any] in panel["targets"] as? [Any] ?? [] {
                guard let expr = target["expr"] as? String else { continue }
                for match in expr.matches(of: /iotflow_bridge_[a-z0-9_]+/) {
                    names.insert(String(match.output))
                }
            }
            collect(from: panel["panels"], into: &names)
        }
    }

    /// The metric name of a sample line, or nil for a comment or blank line.
    private static func sampleName(_ line: Substring) -> Substring? {
        let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
        guard let first = trimmed.first, first != "#" else { return nil }
        return trimmed.prefix(while: { $0 != "{" && $0 != " " && $0 != "\t" })
    }

    /// `X` for `X_bucket`, `X_sum` or `X_count`; nil for any other name.
    private static func familyBase<S: StringProtocol>(_ name: S) -> String? {
        for suffix in familySuffixes where name.hasSuffix(suffix) {
            return String(name.dropLast(suffix.count))
        }
        return nil
    }
}
