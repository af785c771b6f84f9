// iotflow-bridge: the Prometheus registry behind /metrics, fed from the counters at each scrape.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import CoreMetrics
import Prometheus
import Synchronization

/// The bridge's Prometheus metrics, all named `iotflow_bridge_…`, one registry per bridge (tests
/// run several in one process, so nothing is bootstrapped globally).
///
/// `BridgeCounters` stays the source of truth: its atomics are bumped on the hot path as before,
/// and `sync` adds to each Prometheus counter the delta since the last scrape, under a lock, so
/// `/metrics` shows exactly the numbers of the summary line. The one thing the bridge records
/// through swift-metrics itself is the write-request duration (`requestDuration`, a `Timer` from
/// swift-prometheus's `PrometheusMetricsFactory`, passed explicitly), recorded by the writer
/// thread once per request.
public final class BridgeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    /// The writer's request durations (`write_duration_seconds`), 1 ms to 30 s.
    let requestDuration: CoreMetrics.Timer
    private let counters: [(Prometheus.Counter, @Sendable (BridgeCounters.Snapshot) -> Int)]
    private let refused: [(Prometheus.Counter, RefusalReason)]
    private let requests: [Prometheus.Counter]
    private let untracked: Prometheus.Counter
    private let synced = Mutex<[Int]?>(nil)

    static let durationName = "iotflow_bridge_write_duration_seconds"
    static let durationHelp = "Duration of write requests to InfluxDB, reply included."
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
    ]

    /// The metrics of one bridge.
    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Self.durationName] = Self.durationBuckets
        requestDuration = CoreMetrics.Timer(label: Self.durationName, dimensions: [], factory: factory)
        let registry = self.registry
        func counter(
            _ name: String,
            _ help: String,
            _ value: @escaping @Sendable (BridgeCounters.Snapshot) -> Int
        )
            -> (Prometheus.Counter, @Sendable (BridgeCounters.Snapshot) -> Int)
        {
            (registry.makeCounter(descriptor: Self.descriptor(name, help)), value)
        }
        counters = [
            counter("messages_received_total", "MQTT messages received.") { $0.messagesReceived },
            counter("points_received_total", "Points mapped from messages and buffered.") { $0.pointsReceived },
            counter("points_written_total", "Points InfluxDB accepted.") { $0.pointsWritten },
            counter("points_rejected_total", "Points InfluxDB refused for good (in the dead-letter file).") {
                $0.pointsRejected
            },
            counter("points_dropped_total", "Points dropped for room, or unsent at stop from the memory buffer.") {
                $0.pointsDropped
            },
            counter("fields_skipped_total", "JSON values that could not be a field and were left out.") {
                $0.fieldsSkipped
            },
            counter("timestamps_replaced_total", "Device timestamps out of range, replaced by the intake time.") {
                $0.timestampsReplaced
            },
            counter("write_errors_total", "Write requests that failed and will be retried.") { $0.writeErrors },
            counter("breaker_opened_total", "Times the circuit breaker opened.") { $0.breakerOpened },
        ]
        refused = RefusalReason.allCases.map { reason in
            let counter = registry.makeCounter(
                descriptor: Self.descriptor(
                    "messages_refused_total",
                    "Messages, burst elements and values the mapping refused, by reason."
                ),
                labels: [("reason", reason.description)]
            )
            return (counter, reason)
        }
        requests = WriteOutcome.Kind.allCases.map { kind in
            registry.makeCounter(
                descriptor: Self.descriptor(
                    "write_requests_total",
                    "Write requests sent to InfluxDB, by the class of the reply."
                ),
                labels: [("outcome", kind.label)]
            )
        }
        untracked = registry.makeCounter(
            descriptor: Self.descriptor(
                "devices_untracked_messages_total",
                "Messages from devices the full device table (mapping.max_devices) had no room for."
            )
        )
    }

    /// Adds to each Prometheus counter what its source gained since the last call; one call at a time.
    func sync(_ snapshot: BridgeCounters.Snapshot, requests requestCounts: [Int], untracked untrackedCount: Int) {
        var values = counters.map { $0.1(snapshot) }
        values += refused.map { snapshot.messagesRefused[$0.1] ?? 0 }
        values += requestCounts
        values.append(untrackedCount)
        let targets = counters.map { $0.0 } + refused.map { $0.0 } + requests + [untracked]
        synced.withLock { last in
            let previous = last ?? [Int](repeating: 0, count: values.count)
            for (index, target) in targets.enumerated() where values[index] > previous[index] {
                target.increment(by: Int64(values[index] - previous[index]))
            }
            last = values
        }
    }

    /// Records one write request's duration (the writer thread, once per request).
    func recordRequest(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        requestDuration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// A gauge of the registry (made once; later calls return the same one).
    func gauge(_ name: String, help: String, labels: [(String, String)] = []) -> Prometheus.Gauge {
        registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
    }

    /// `iotflow_bridge_<name>` with its help text.
    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "iotflow_bridge", metricName: name, unitName: "", helpText: help)
    }

    /// The exposition text. swift-prometheus gives metrics made through swift-metrics no help
    /// text, so the duration histogram's `# HELP` line is added here.
    func exposition() -> String {
        let text = registry.emitToString()
        let type = "# TYPE \(Self.durationName) histogram\n"
        return text.replacing(type, with: "# HELP \(Self.durationName) \(Self.durationHelp)\n" + type)
    }
}
