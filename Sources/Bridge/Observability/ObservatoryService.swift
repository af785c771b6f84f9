// iotflow-bridge: samples the rates and pings InfluxDB while the writer is idle.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Curl
import ServiceLifecycle

/// On a thread of its own (a ping blocks in libcurl for up to 2 s; never the MQTT or writer
/// thread, never the cooperative pool), once a second:
/// - every 5 s, a sample of the counters for the rates over the last minute; sampled here rather
///   than on each `/health` call so that the rates are right on the first call after a long
///   quiet spell (`iotflow-bridge status` asks once);
/// - while the writer is idle (no request finished for 10 s), at most every 5 s, InfluxDB's own
///   health: `GET /ping` (v1, v2) or `GET /health` (v3), 2 s timeout, remembered with the server's
///   `X-Influxdb-Version`. `/health` reads the last answer; it never waits for one.
final class ObservatoryService: Service {
    /// What it feeds.
    let observatory: BridgeObservatory
    private let status: BridgeStatus
    private let settings: InfluxSettings

    static let sampleInterval = Duration.seconds(5)
    static let pingInterval = Duration.seconds(5)
    static let pingTimeout = Duration.seconds(2)

    init(observatory: BridgeObservatory, settings: InfluxSettings) {
        self.observatory = observatory
        self.status = observatory.counters.status
        self.settings = settings
    }

    func run() async throws {
        try await DedicatedThread.runService(name: "observe", interrupt: {}, body: loop)
    }

    /// The thread's loop, until `stop`.
    private func loop(until stop: WakeSignal) {
        var nextSample = ContinuousClock.now
        var lastPing: ContinuousClock.Instant?
        var handle: CurlEasyHandle?
        while !stop.isSignalled {
            let now = ContinuousClock.now
            if now >= nextSample {
                observatory.sampleRates(at: now)
                nextSample = now + Self.sampleInterval
            }
            let state = status.current
            let lastRequest = max(state.lastSuccess ?? status.startedAt, state.lastFailure?.at ?? status.startedAt)
            let pingDue = lastPing.map { now - $0 >= Self.pingInterval } ?? true
            if now - lastRequest >= HealthEvaluator().idleAfter && pingDue {
                let influx = settings.current.configuration
                if handle == nil { handle = try? CurlEasyHandle(tls: CurlTLSOptions(influx.tls)) }
                status.pinged(Self.ping(influx, with: handle))
                lastPing = .now
            }
            stop.wait(for: .seconds(1))
        }
    }

    /// One ping of the configured URL.
    private static func ping(_ influx: InfluxConfiguration, with handle: CurlEasyHandle?) -> HealthEvaluator.Ping {
        guard let handle else { return .init(at: .now, failure: "cannot make a libcurl handle", version: nil) }
        var base = Substring(influx.url)
        while base.hasSuffix("/") { base = base.dropLast() }
        let path = influx.api == .v3 ? "/health" : "/ping"
        let authorization = InfluxEndpoint(configuration: influx).headers.filter { $0.hasPrefix("Authorization:") }
        do {
            let (response, version) = try handle.get(
                url: "\(base)\(path)",
                headers: authorization,
                timeout: pingTimeout,
                header: "X-Influxdb-Version"
            )
            let failure = (200..<300).contains(response.status) ? nil : "HTTP \(response.status) from \(path)"
            return .init(at: .now, failure: failure, version: version)
        } catch {
            return .init(at: .now, failure: "\(error)", version: nil)
        }
    }
}
