// iotflow-bridge: the publish loop of the simulator, with an in-flight window and optional pacing.
// SPDX-License-Identifier: Apache-2.0

import Mosquitto

/// Publishes a run of telemetry messages and waits until the broker has acknowledged them all.
///
/// Confined to the calling thread: `run` creates the connection, drives its loop and returns when
/// every message is acknowledged (QoS 0: written to the socket) or the deadline passes.
struct Publisher {
    /// How many messages to send and how fast.
    struct Settings {
        /// Messages in the run, at least 1.
        var count: Int
        var qos: Int
        /// Messages published but not yet acknowledged, at most; 1...65535.
        var maxInFlight: Int
        /// Messages per second over the whole run; 0 sends as fast as acknowledgements allow.
        var rate: Double
    }

    /// What a run achieved.
    struct Outcome {
        var published: Int
        var acknowledged: Int
        /// From the first publish to the last acknowledgement (or the deadline).
        var elapsed: Duration
    }

    /// Counts `onPublish` calls; a class because the callback and the loop share it.
    private final class Acknowledgements {
        var count = 0
    }

    let telemetry: Telemetry
    let settings: Settings

    func run(options: ConnectionOptions, until deadline: ContinuousClock.Instant) throws(SimulatorError) -> Outcome {
        // libmosquitto calls on_publish after the PUBACK (QoS 1), the PUBCOMP (QoS 2) or, for
        // QoS 0, once the packet is written, so one counter serves every QoS.
        let acknowledgements = Acknowledgements()
        var callbacks = MosquittoCallbacks()
        callbacks.onPublish = { _ in acknowledgements.count += 1 }
        let connection = try BrokerConnection(options: options, callbacks: callbacks)
        do {
            // Matching libmosquitto's window to ours keeps it from queueing messages we count as sent.
            try connection.client.setSendMaximum(settings.maxInFlight)
        } catch {
            throw SimulatorError("cannot set the send maximum: \(error)")
        }
        try connection.open(until: deadline)
        defer { connection.close() }

        let start = ContinuousClock.now
        var published = 0
        while acknowledgements.count < settings.count || connection.client.wantsWrite {
            let now = ContinuousClock.now
            guard now < deadline else { break }
            while published < settings.count, published - acknowledgements.count < settings.maxInFlight,
                dueTime(ofMessage: published, start: start) <= now
            {
                try publish(message: published, on: connection.client)
                published += 1
            }
            try connection.pump(
                timeoutMilliseconds: waitMilliseconds(
                    nextMessage: published,
                    inFlight: published - acknowledgements.count,
                    start: start
                )
            )
        }
        return Outcome(published: published, acknowledged: acknowledgements.count, elapsed: .now - start)
    }

    private func publish(message k: Int, on client: MosquittoClient) throws(SimulatorError) {
        let payload = Array(telemetry.payload(ofMessage: k).utf8)
        do {
            // An untyped closure here: a typed-throws one returning Void crashes the Swift 6.3.1 IRGen.
            try payload.withUnsafeBytes { bytes in
                _ = try client.publish(topic: telemetry.topic(ofMessage: k), payload: bytes, qos: settings.qos)
            }
        } catch {
            throw SimulatorError("publishing message \(k) failed: \(error)")
        }
    }

    /// When message k may go out: at once when unpaced, else k / rate seconds after the start.
    private func dueTime(ofMessage k: Int, start: ContinuousClock.Instant) -> ContinuousClock.Instant {
        settings.rate > 0 ? start + .seconds(fractional: Double(k) / settings.rate) : start
    }

    /// How long the loop may wait for the socket before the next message is due (1...100 ms).
    private func waitMilliseconds(nextMessage k: Int, inFlight: Int, start: ContinuousClock.Instant) -> Int {
        // With nothing to send, or the window full, only the socket can change anything, and the
        // loop returns as soon as it is readable; 100 ms just bounds how late the deadline is seen.
        guard k < settings.count, inFlight < settings.maxInFlight else { return 100 }
        let milliseconds = (ContinuousClock.now.duration(to: dueTime(ofMessage: k, start: start))).inSeconds * 1000
        return min(100, max(1, Int(milliseconds.rounded(.up))))
    }
}
