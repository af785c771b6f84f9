// iotflow-bridge: the states /health needs that counters cannot say: links, last requests, ping.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Synchronization

/// What the threads report when a state changes, for `/health` and the gauges: the MQTT
/// connection and intake pause (set by the MQTT thread on a change, never per message), the
/// outcome of each write request (the writer thread, once per request) and the last ping of
/// InfluxDB (the observatory thread). Safe from any thread.
public final class BridgeStatus: Sendable {
    /// The reported states.
    struct State: Sendable {
        var mqttConnected = false
        var mqttChangedAt: ContinuousClock.Instant?
        var intakePaused = false
        var lastSuccess: ContinuousClock.Instant?
        var lastFailure: (at: ContinuousClock.Instant, reason: String)?
        var ping: HealthEvaluator.Ping?
        /// Requests per `WriteOutcome.Kind`.
        var requests = [Int](repeating: 0, count: WriteOutcome.Kind.allCases.count)
    }

    private let state = Mutex(State())
    /// When the bridge was built: the start-up window of the MQTT check.
    let startedAt = ContinuousClock.now

    init() {}

    /// The states now.
    var current: State { state.withLock { $0 } }

    /// The MQTT connection came up or went down at `time`.
    func mqttConnection(_ connected: Bool, at time: ContinuousClock.Instant) {
        state.withLock {
            $0.mqttConnected = connected
            $0.mqttChangedAt = time
        }
    }

    /// Intake paused for room, or resumed.
    func intakePaused(_ paused: Bool) {
        state.withLock { $0.intakePaused = paused }
    }

    /// A write request finished at `time` with `outcome`.
    func requestFinished(_ outcome: WriteOutcome, at time: ContinuousClock.Instant) {
        state.withLock {
            $0.requests[outcome.kind.rawValue] += 1
            if outcome.reachedServer {
                $0.lastSuccess = time
            } else {
                $0.lastFailure = (time, Self.reason(outcome))
            }
        }
    }

    /// The last ping's result.
    func pinged(_ ping: HealthEvaluator.Ping) {
        state.withLock { $0.ping = ping }
    }

    private static func reason(_ outcome: WriteOutcome) -> String {
        switch outcome {
        case .configurationError(let status, let message): "HTTP \(status): \(message.prefix(200))"
        case .throttled(let status, _, let message): "HTTP \(status): \(message.prefix(200))"
        case .retryable(let status, let message): "\(status.map { "HTTP \($0)" } ?? "no reply"): \(message.prefix(200))"
        default: "\(outcome.kind.label)"
        }
    }
}
