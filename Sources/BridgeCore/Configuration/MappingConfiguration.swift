// iotflow-bridge: how topics and JSON payloads become points.
// SPDX-License-Identifier: Apache-2.0

/// The `mapping` section.
public struct MappingConfiguration: Equatable, Sendable {
    /// What happens to a JSON string that is not a number, and to a boolean, when neither
    /// `field_types` nor the schema in InfluxDB gives the field a type (`mapping.string_policy`).
    public enum StringPolicy: String, CaseIterable, Sendable {
        /// Only a declaration or the schema makes a field a string or a boolean: otherwise a
        /// boolean is the float 1.0 / 0.0 and text is left out (counted as `strings_left_out`).
        /// One device's value then never decides the type of another device's values.
        case declared
        /// The first type seen for a (measurement, field) wins: text is a string field, a boolean
        /// a boolean field (the behaviour before `declared`; one device can decide for all).
        case field
        /// Text is left out and counted as skipped; a boolean is the float 1.0 / 0.0.
        case drop
        /// Text is a tag (`name=text`), which never replaces a tag from the topic or the device
        /// registry; a boolean is the float 1.0 / 0.0.
        case tag
    }

    /// What happens to a device timestamp outside `max_past` / `max_future` (`mapping.timestamp_policy`).
    public enum TimestampPolicy: String, CaseIterable, Sendable {
        /// The point gets the intake time instead, and `timestamps_replaced` rises.
        case receiveTime = "receive_time"
        /// The point is refused (`timestamp_out_of_range`) into the dead-letter file.
        case reject
        /// The device's time is kept.
        case keep
    }

    /// A field type declared in `mapping.field_types` (`name:float`, …); it wins over the schema
    /// in InfluxDB and over the data.
    public typealias FieldType = StoredFieldType

    /// Topic templates tried in order (`mapping.routes`), first match wins. Each is a template
    /// (`{measurement}`, `{tag}`, `{_}`/`+` levels), optionally followed by ` -> name` to fix the
    /// measurement: `iotflow/devices/{device_id}/status/{_} -> device_status`.
    public var routes: [String]
    /// Whether every point gets a `topic` tag with the full MQTT topic (`mapping.topic_tag`).
    public var topicTag: Bool
    /// Payload keys read as the point's time (`mapping.timestamp_keys`); the last one present wins.
    public var timestampKeys: [String]
    /// Device timestamps older than the intake time by more than this are out of range (`mapping.max_past`).
    public var maxPast: Duration
    /// Device timestamps newer than the intake time by more than this are out of range (`mapping.max_future`).
    public var maxFuture: Duration
    /// What an out-of-range device timestamp becomes (`mapping.timestamp_policy`).
    public var timestampPolicy: TimestampPolicy
    /// What an untyped non-numeric JSON string or boolean becomes (`mapping.string_policy`).
    public var stringPolicy: StringPolicy
    /// Field types declared by name, for every measurement (`mapping.field_types`), as
    /// `name:float|integer|unsigned|string|boolean`.
    public var fieldTypes: [String]
    /// A YAML or JSON file mapping `device_id` to tags (`mapping.device_registry`), reread on SIGHUP.
    public var deviceRegistry: String?
    /// Largest payload mapped, in bytes, 1 – 16 MiB (`mapping.max_payload_bytes`).
    public var maxPayloadBytes: Int
    /// Most fields in one point (`mapping.max_fields`); more refuse the point.
    public var maxFields: Int
    /// Deepest nesting of objects flattened into one point (`mapping.max_depth`).
    public var maxDepth: Int
    /// Longest field or tag key, after flattening, in bytes (`mapping.max_key_bytes`).
    public var maxKeyBytes: Int
    /// Longest string value kept as a field or tag, in bytes (`mapping.max_string_bytes`).
    public var maxStringBytes: Int
    /// Most (measurement, field) types read from InfluxDB's schema, and most learned from the data
    /// under `string_policy: field` (`mapping.max_field_types`); there a new field beyond that is
    /// refused (`type_registry_full`) rather than risking a type conflict in InfluxDB.
    public var maxFieldTypes: Int
    /// Most points one message may make, 1 – 100,000 (`mapping.max_points_per_message`): an array
    /// payload with more elements is refused whole (`too_many_points`).
    public var maxPointsPerMessage: Int
    /// Most line-protocol bytes one message may make, 1 KiB – 64 MiB (`mapping.max_encoded_bytes`):
    /// more refuses the message whole (`encoded_too_large`). Intake reads only while the buffer
    /// has this much room, so one message always fits.
    public var maxEncodedBytes: Int
    /// Most devices the device table tracks for `/devices` and the `devices_*` gauges, 0 – 10,000,000
    /// (`mapping.max_devices`); messages from devices beyond it are counted as untracked.
    public var maxDevices: Int
    /// Silence after which a device counts as stale in `devices_stale` and `/health`
    /// (`mapping.stale_after`, 1 s – 30 days).
    public var staleAfter: Duration

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(
        routes: [String] = ["iotflow/devices/{device_id}/telemetry/{measurement}"],
        topicTag: Bool = false,
        timestampKeys: [String] = ["timestamp", "time", "ts"],
        maxPast: Duration = .seconds(3650 * 86_400),
        maxFuture: Duration = .seconds(3600),
        timestampPolicy: TimestampPolicy = .receiveTime,
        stringPolicy: StringPolicy = .declared,
        fieldTypes: [String] = [],
        deviceRegistry: String? = nil,
        maxPayloadBytes: Int = 65_536,
        maxFields: Int = 256,
        maxDepth: Int = 8,
        maxKeyBytes: Int = 256,
        maxStringBytes: Int = 4096,
        maxFieldTypes: Int = 100_000,
        maxPointsPerMessage: Int = 1000,
        maxEncodedBytes: Int = 256 * 1024,
        maxDevices: Int = 100_000,
        staleAfter: Duration = .seconds(600)
    ) {
        self.routes = routes
        self.topicTag = topicTag
        self.timestampKeys = timestampKeys
        self.maxPast = maxPast
        self.maxFuture = maxFuture
        self.timestampPolicy = timestampPolicy
        self.stringPolicy = stringPolicy
        self.fieldTypes = fieldTypes
        self.deviceRegistry = deviceRegistry
        self.maxPayloadBytes = maxPayloadBytes
        self.maxFields = maxFields
        self.maxDepth = maxDepth
        self.maxKeyBytes = maxKeyBytes
        self.maxStringBytes = maxStringBytes
        self.maxFieldTypes = maxFieldTypes
        self.maxPointsPerMessage = maxPointsPerMessage
        self.maxEncodedBytes = maxEncodedBytes
        self.maxDevices = maxDevices
        self.staleAfter = staleAfter
    }

    /// The parsed `field_types` entries, or the first entry that is not `name:<type>`.
    public func parsedFieldTypes() -> Result<[String: FieldType], FieldTypeError> {
        var types: [String: FieldType] = [:]
        for entry in fieldTypes {
            guard let colon = entry.lastIndex(of: ":") else { return .failure(FieldTypeError(entry: entry)) }
            let name = String(entry[..<colon])
            guard !name.isEmpty, let type = FieldType(rawValue: String(entry[entry.index(after: colon)...])) else {
                return .failure(FieldTypeError(entry: entry))
            }
            types[name] = type
        }
        return .success(types)
    }

    /// The parsed routes, or why one is unusable.
    public func parsedRoutes() -> Result<[Route], RouteError> {
        var parsed: [Route] = []
        for route in routes {
            switch Route.parse(route) {
            case .success(let value): parsed.append(value)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(parsed)
    }
}

/// A `mapping.field_types` entry that is not `name:float|integer|unsigned|string|boolean`.
public struct FieldTypeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The entry as written.
    public var entry: String
    public var description: String { "'\(entry)' is not name:float|integer|unsigned|string|boolean" }
}

extension MappingConfiguration {
    /// The section's keys, in file order.
    static let keys: [SectionKey<Self>] = [
        .key(
            "routes",
            \.routes,
            .list,
            .require("must name at least one route") { !$0.isEmpty },
            .parsesAsRoutes
        ),
        .key("topic_tag", \.topicTag, .bool),
        .key(
            "timestamp_keys",
            \.timestampKeys,
            .list,
            .require("must not contain an empty key") { !$0.contains(where: \.isEmpty) }
        ),
        .key("max_past", \.maxPast, .duration, .within(.seconds(1)...Duration.seconds(100 * 365 * 86_400))),
        .key("max_future", \.maxFuture, .duration, .within(.seconds(1)...Duration.seconds(100 * 365 * 86_400))),
        .key("timestamp_policy", \.timestampPolicy, .choice),
        .key("string_policy", \.stringPolicy, .choice),
        .key("field_types", \.fieldTypes, .list, .parsesAsFieldTypes),
        .key(
            "device_registry",
            \.deviceRegistry,
            .optionalString,
            .require("must not be empty when set") { $0?.isEmpty != true }
        ),
        .key("max_payload_bytes", \.maxPayloadBytes, .int, .within(1...16 * 1024 * 1024)),
        .key("max_fields", \.maxFields, .int, .within(1...10_000)),
        .key("max_depth", \.maxDepth, .int, .within(1...32)),
        .key("max_key_bytes", \.maxKeyBytes, .int, .within(1...65_535)),
        .key(
            "max_string_bytes",
            \.maxStringBytes,
            .int,
            .within(1...65_536, "must be between 1 and 65536 (the string limit of InfluxDB 1.x and 2.x)")
        ),
        .key("max_field_types", \.maxFieldTypes, .int, .within(1...10_000_000)),
        .key("max_points_per_message", \.maxPointsPerMessage, .int, .within(1...100_000)),
        .key("max_encoded_bytes", \.maxEncodedBytes, .int, .within(1024...64 * 1024 * 1024)),
        .key("max_devices", \.maxDevices, .int, .within(0...10_000_000)),
        .key("stale_after", \.staleAfter, .duration, .within(.seconds(1)...Duration.seconds(30 * 86_400))),
    ]
}

extension KeyRule where Value == [String] {
    /// Every entry is a route (`Route.parse`); the first that is not is the problem.
    fileprivate static var parsesAsRoutes: Self {
        Self { routes in
            guard case .failure(let problem) = MappingConfiguration(routes: routes).parsedRoutes() else { return [] }
            return [problem.description]
        }
    }

    /// Every entry is `name:<type>`; the first that is not is the problem.
    fileprivate static var parsesAsFieldTypes: Self {
        Self { entries in
            guard case .failure(let problem) = MappingConfiguration(fieldTypes: entries).parsedFieldTypes() else {
                return []
            }
            return [problem.description]
        }
    }
}
