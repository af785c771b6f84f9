// iotflow-bridge: what /metrics, /health, /ready and /devices answer, read from the running bridge.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Prometheus
import Synchronization

/// The bridge's `ObservabilitySource`: reads the counters, the buffer, the device table and the
/// reported states at the moment of each call, and never blocks on the MQTT or writer threads
/// (each read is one short lock). `ObservatoryService` feeds it the rate samples and pings.
/// Safe from any thread.
public final class BridgeObservatory: ObservabilitySource {
    let counters: BridgeCounters
    private let buffer: any PointBufferHandle
    private let subscribed: ReadinessEvent
    private let staleAfter: Duration
    private let rates = Mutex(RateWindow())
    private let gauges: Gauges
    /// One scrape at a time: syncing counters and setting gauges belong together.
    private let scrape = Mutex(())

    /// The gauges, set at each scrape.
    private struct Gauges: Sendable {
        let bufferPoints, bufferBytes, bufferCapacity, oldestAge: Prometheus.Gauge
        let mqttConnected, intakePaused, breakerOpen, devicesSeen, devicesStale: Prometheus.Gauge

        init(_ metrics: BridgeMetrics) {
            bufferPoints = metrics.gauge("buffer_points", help: "Points buffered, not yet settled by InfluxDB.")
            bufferBytes = metrics.gauge("buffer_bytes", help: "Bytes of line protocol buffered.")
            bufferCapacity = metrics.gauge("buffer_capacity_bytes", help: "The most bytes the buffer holds.")
            oldestAge = metrics.gauge(
                "oldest_point_age_seconds",
                help: "Now minus the timestamp of the oldest point buffered; 0 when empty."
            )
            mqttConnected = metrics.gauge("mqtt_connected", help: "1 while connected to the MQTT broker.")
            intakePaused = metrics.gauge("intake_paused", help: "1 while intake is paused for buffer room.")
            breakerOpen = metrics.gauge("breaker_open", help: "1 while the circuit breaker is open or probing.")
            devicesSeen = metrics.gauge("devices_seen", help: "Devices in the device table.")
            devicesStale = metrics.gauge("devices_stale", help: "Devices silent for longer than mapping.stale_after.")
        }
    }

    init(counters: BridgeCounters, buffer: any PointBufferHandle, subscribed: ReadinessEvent, staleAfter: Duration) {
        self.counters = counters
        self.buffer = buffer
        self.subscribed = subscribed
        self.staleAfter = staleAfter
        gauges = Gauges(counters.metrics)
        counters.metrics.gauge(
            "build_info",
            help: "Always 1; the version label is the bridge's.",
            labels: [("version", BuildInfo.version)]
        ).set(to: 1)
    }

    public var isReady: Bool { subscribed.hasFired }

    public func metricsText() -> String {
        scrape.withLock { _ in
            let snapshot = counters.snapshot()
            let status = counters.status.current
            let now = WallClock.nanoseconds()
            let devices = counters.devices.counts(silentFor: staleAfter, now: now)
            counters.metrics.sync(snapshot, requests: status.requests, untracked: devices.untracked)
            let (points, bytes) = buffer.occupancy
            gauges.bufferPoints.set(Int64(points))
            gauges.bufferBytes.set(Int64(bytes))
            gauges.bufferCapacity.set(Int64(buffer.capacityBytes))
            let age: Double = oldestAge(now: now) ?? 0
            gauges.oldestAge.set(to: age)
            gauges.mqttConnected.set(to: status.mqttConnected ? 1.0 : 0.0)
            gauges.intakePaused.set(to: status.intakePaused ? 1.0 : 0.0)
            gauges.breakerOpen.set(Int64(snapshot.breakerState))
            gauges.devicesSeen.set(Int64(devices.seen))
            gauges.devicesStale.set(Int64(devices.stale))
            return counters.metrics.exposition()
        }
    }

    public func health() async -> HealthReport {
        let now = ContinuousClock.now
        let wall = WallClock.nanoseconds()
        let snapshot = counters.snapshot()
        let status = counters.status.current
        let (points, bytes) = buffer.occupancy
        let rates = rates.withLock { $0.rates(current: Self.totals(snapshot), now: now) }
        var inputs = HealthEvaluator.Inputs(startedAt: counters.status.startedAt)
        inputs.mqttConnected = status.mqttConnected
        inputs.mqttChangedAt = status.mqttChangedAt
        inputs.breakerOpen = snapshot.breakerState != 0
        inputs.lastSuccess = status.lastSuccess
        inputs.lastFailure = status.lastFailure
        inputs.ping = status.ping
        inputs.bufferedPoints = points
        inputs.bufferedBytes = bytes
        inputs.capacityBytes = buffer.capacityBytes
        inputs.intakePaused = status.intakePaused
        inputs.recentlyDropped = rates.pointsDropped
        let devices = counters.devices.counts(silentFor: staleAfter, now: wall)
        let figures = BridgeFigures(
            bufferedPoints: points,
            bufferedBytes: bytes,
            bufferCapacityBytes: buffer.capacityBytes,
            oldestPointAgeSeconds: oldestAge(now: wall),
            rateWindowSeconds: rates.windowSeconds,
            messagesPerSecond: rates.messagesPerSecond,
            pointsWrittenPerSecond: rates.pointsWrittenPerSecond,
            messagesRefusedPerSecond: rates.messagesRefusedPerSecond,
            devicesSeen: devices.seen,
            devicesStale: devices.stale,
            staleAfterSeconds: staleAfter / .seconds(1)
        )
        let checks = HealthEvaluator().checks(inputs, now: now)
        return HealthReport(version: BuildInfo.version, checks: checks, bridge: figures)
    }

    public func devices(silentFor silence: Duration) -> DeviceListing {
        counters.devices.listing(silentFor: silence, now: WallClock.nanoseconds())
    }

    /// Adds a sample of the counters to the rate window (every 5 s, from `ObservatoryService`).
    func sampleRates(at now: ContinuousClock.Instant) {
        let totals = Self.totals(counters.snapshot())
        rates.withLock { $0.add(totals, at: now) }
    }

    private static func totals(_ snapshot: BridgeCounters.Snapshot) -> RateWindow.Totals {
        RateWindow.Totals(
            messagesReceived: snapshot.messagesReceived,
            pointsWritten: snapshot.pointsWritten,
            messagesRefused: snapshot.messagesRefused.values.reduce(0, +),
            pointsDropped: snapshot.pointsDropped
        )
    }

    /// Seconds from the oldest buffered point's timestamp to `now` (ns since the epoch).
    private func oldestAge(now: Int64) -> Double? {
        buffer.oldestPointTimestamp.map { Double(now - $0) / 1e9 }
    }
}
