// iotflow-bridge: the service that reads InfluxDB's field types at start-up and on request.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import Logging
import ServiceLifecycle

/// Reads the schema InfluxDB holds on a thread of its own (libcurl blocks; the MQTT thread must
/// not), at start-up and after `requestRefresh()`, as `SchemaSchedule` decides: failed reads are
/// retried in the background with backoff, a refresh comes at most once per 10 s, and a sink
/// without field types (VictoriaMetrics) is read once and logged once. Each schema read reaches
/// the MQTT thread's mapper through `handoff`. Safe from any thread.
final class SchemaService: Service {
    /// One blocking schema read for the current `influxdb` settings (`InfluxSchemaReader.read`).
    typealias Reader = @Sendable (InfluxConfiguration) -> SchemaReply

    private let settings: InfluxSettings
    private let read: Reader
    private let refreshInterval: Duration
    private let handoff: FieldSchemaHandoff
    private let requests = RefreshRequests()
    private let logger: Logger

    /// - Parameters:
    ///   - refreshInterval: the shortest time between reads a refresh request causes (10 s;
    ///     tests pass less).
    ///   - read: the read itself, run on the schema thread.
    init(
        settings: InfluxSettings,
        handoff: FieldSchemaHandoff,
        logger: Logger,
        refreshInterval: Duration = SchemaSchedule.defaultRefreshInterval,
        read: @escaping Reader
    ) {
        self.settings = settings
        self.read = read
        self.refreshInterval = refreshInterval
        self.handoff = handoff
        self.logger = logger
    }

    /// Asks for a fresh read (after InfluxDB rejected a field-type conflict); cheap, from any thread.
    func requestRefresh() {
        requests.request()
    }

    func run() async throws {
        try await DedicatedThread.runService(name: "schema", interrupt: requests.interrupt) {
            [settings, read, refreshInterval, handoff, requests, logger] stop in
            var schedule = SchemaSchedule(now: .now, refreshInterval: refreshInterval)
            var first = true
            while !stop.isSignalled {
                let now = ContinuousClock.now
                guard schedule.isDue(at: now) else {
                    if requests.wait(until: schedule.nextRead) { schedule.refreshRequested(at: .now) }
                    continue
                }
                let influx = settings.current.configuration
                let reply = read(influx)
                Self.apply(reply, startedAt: now, to: &schedule, handoff: handoff, influx: influx, logger: logger)
                if first {
                    handoff.firstReadFinished()
                    first = false
                }
            }
        }
    }

    /// Publishes a schema, or plans the retry, and logs what changed.
    private static func apply(
        _ reply: SchemaReply,
        startedAt now: ContinuousClock.Instant,
        to schedule: inout SchemaSchedule,
        handoff: FieldSchemaHandoff,
        influx: InfluxConfiguration,
        logger: Logger
    ) {
        switch reply {
        case .schema(let schema):
            let recovered = schedule.consecutiveFailures > 0
            schedule.readSucceeded(at: now)
            handoff.publish(schema)
            logger.log(
                level: recovered ? .notice : .info,
                "Read the field types InfluxDB holds; they type the fields they name.",
                metadata: ["schema.fields": "\(schema.count)", "influx.url": "\(influx.url)"]
            )
            if schema.omitted > 0 {
                logger.warning(
                    "InfluxDB holds more field types than mapping.max_field_types; the rest are typed by the data.",
                    metadata: ["schema.omitted": "\(schema.omitted)", "mapping.max_field_types": "\(schema.capacity)"]
                )
            }
        case .noFieldTypes:
            schedule.sinkHasNoFieldTypes()
            logger.info(
                "The InfluxDB target keeps no field types (VictoriaMetrics); types come from mapping.field_types and the data.",
                metadata: ["influx.url": "\(influx.url)"]
            )
        case .failed(let reason):
            schedule.readFailed(at: now, random: .random(in: 0...1))
            // The first failure of a streak, then every tenth: InfluxDB down for long stays readable.
            guard schedule.consecutiveFailures % 10 == 1 else { return }
            let retry = schedule.nextRead.map { ConfigDuration.format(now.duration(to: $0)) } ?? ""
            logger.warning(
                "Cannot read the field types InfluxDB holds; fields are typed by mapping.field_types and the data meanwhile, retrying.",
                metadata: [
                    "error": "\(reason)", "influx.url": "\(influx.url)", "retry.delay": "\(retry)",
                    "attempts": "\(schedule.consecutiveFailures)",
                ]
            )
        }
    }
}

/// Refresh requests for the schema thread, and its wait for the next read.
// `@unchecked Sendable`: lock-protected. `condition` guards all of the mutable state
// (`requested`, `interrupted`), which is read and written only while it is locked.
private final class RefreshRequests: @unchecked Sendable {
    private let condition = NSCondition()
    private var requested = false
    private var interrupted = false

    /// Records a request and wakes the schema thread.
    func request() {
        condition.lock()
        requested = true
        condition.signal()
        condition.unlock()
    }

    /// Ends, now and from now on, every wait (shutdown).
    func interrupt() {
        condition.lock()
        interrupted = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until a request, `deadline` (none: no deadline) or `interrupt()`; returns whether a
    /// request came (and takes it).
    func wait(until deadline: ContinuousClock.Instant?) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !requested && !interrupted {
            guard let deadline else {
                condition.wait()
                continue
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { break }
            _ = condition.wait(until: Date().addingTimeInterval(remaining.seconds))
        }
        defer { requested = false }
        return requested
    }
}
