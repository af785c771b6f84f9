// iotflow-bridge: one series from an InfluxDB 1.x query response.
// SPDX-License-Identifier: Apache-2.0

/// One series of an InfluxQL result: `{"name":..,"tags":..,"columns":[..],"values":[[..],..]}`.
///
/// A `GROUP BY` query yields one per tag combination; a statement that matched nothing yields none.
public struct InfluxQueryResult: Sendable, Hashable, Decodable {
    /// The measurement, or the statement's subject for `SHOW` queries (absent ones decode as "").
    public var name: String
    /// The `GROUP BY` tags of this series; empty without `GROUP BY`.
    public var tags: [String: String]
    /// Column names; the first is `time` for `SELECT`.
    public var columns: [String]
    /// Rows, each with one value per column. Times are `.int` nanoseconds since the epoch because the harness
    /// always queries with `epoch=ns`.
    public var values: [[InfluxValue]]

    /// Creates a result, mainly for comparing with `==` in tests.
    public init(name: String = "", tags: [String: String] = [:], columns: [String], values: [[InfluxValue]]) {
        self.name = name
        self.tags = tags
        self.columns = columns
        self.values = values
    }

    /// Decodes one element of a statement's `series` array.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
        tags = try container.decodeIfPresent([String: String].self, forKey: .tags) ?? [:]
        columns = try container.decode([String].self, forKey: .columns)
        values = try container.decodeIfPresent([[InfluxValue]].self, forKey: .values) ?? []
    }

    /// Every row's value in the column called `name`; empty if there is no such column.
    public func column(_ name: String) -> [InfluxValue] {
        guard let index = columns.firstIndex(of: name) else { return [] }
        return values.map { index < $0.count ? $0[index] : .null }
    }

    private enum CodingKeys: String, CodingKey {
        case name, tags, columns, values
    }
}
