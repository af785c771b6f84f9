// iotflow-bridge: one series from VictoriaMetrics' /api/v1/export.
// SPDX-License-Identifier: Apache-2.0

/// One line of `/api/v1/export` output: `{"metric":{..},"values":[..],"timestamps":[..]}`.
///
/// VictoriaMetrics stores each line-protocol field as its own series named `<measurement>_<field>` (the
/// `__name__` label), with tags as labels and the write's `db` parameter as label `db`. Every value is a
/// float: integers and unsigned integers are converted, booleans become 1 or 0, and strings are parsed as
/// numbers or stored as 0.
public struct VMSeries: Sendable, Hashable, Decodable {
    /// Labels, including `__name__`.
    public var metric: [String: String]
    /// Sample values, oldest first.
    public var values: [Double]
    /// Sample times in milliseconds since the epoch (VictoriaMetrics truncates line-protocol times to ms).
    public var timestamps: [Int64]

    /// Creates a series, mainly for comparing with `==` in tests.
    public init(metric: [String: String], values: [Double], timestamps: [Int64]) {
        self.metric = metric
        self.values = values
        self.timestamps = timestamps
    }

    /// The metric name, `metric["__name__"]`, or "" if missing.
    public var name: String { metric["__name__"] ?? "" }
}
