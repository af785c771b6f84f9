// iotflow-bridge: one `mapping.routes` entry: a topic template, and maybe a fixed measurement.
// SPDX-License-Identifier: Apache-2.0

/// A route: `iotflow/devices/{device_id}/telemetry/{measurement}` takes the measurement from the
/// topic; `iotflow/devices/{device_id}/status/{_} -> device_status` fixes it. Routes are tried in
/// order and the first whose template matches the topic maps the message.
public struct Route: Equatable, Sendable {
    /// The levels of the topics this route takes.
    public let template: TopicTemplate
    /// The measurement every point of this route gets, when the template has no `{measurement}`.
    public let measurement: String?

    /// Parses `template` or `template -> measurement`.
    public static func parse(_ text: String) -> Result<Route, RouteError> {
        var templateText = Substring(text)
        var measurement: String?
        if let arrow = text.ranges(of: " -> ").last {
            templateText = text[..<arrow.lowerBound]
            let name = text[arrow.upperBound...]
            guard !name.isEmpty, name.utf8.count <= TopicTemplate.maxLevelBytes,
                !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == " " })
            else { return .failure(RouteError(route: text, problem: "'\(name)' is not a usable measurement name")) }
            measurement = String(name)
        }
        switch TopicTemplate.parse(String(templateText), requiresMeasurement: measurement == nil) {
        case .failure(let problem):
            return .failure(RouteError(route: text, problem: problem.description))
        case .success(let template):
            if measurement != nil && template.levels.contains(.measurement) {
                return .failure(
                    RouteError(route: text, problem: "has both a {measurement} level and a fixed measurement")
                )
            }
            return .success(Route(template: template, measurement: measurement))
        }
    }

    /// Whether subscribing to `filter` can deliver a topic this route matches. A `$share/<group>/`
    /// prefix is stripped first: the broker delivers shared-subscription messages on their own topic.
    public func overlaps(filter: String) -> Bool {
        var levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        if levels.first == "$share" && levels.count >= 3 { levels.removeFirst(2) }
        for (index, level) in levels.enumerated() {
            // `a/#` matches `a` itself as well as everything below it.
            if level == "#" { return template.levels.count >= index }
            guard index < template.levels.count else { return false }
            if level == "+" { continue }
            if case .literal(let bytes) = template.levels[index], !bytes.elementsEqual(level.utf8) { return false }
        }
        return levels.count == template.levels.count
    }
}

/// Why a `mapping.routes` entry is unusable.
public struct RouteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The entry as written.
    public var route: String
    /// What is wrong with it.
    public var problem: String
    public var description: String { "'\(route)' \(problem)" }
}
