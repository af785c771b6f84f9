// iotflow-bridge: hands the field types read from InfluxDB to the MQTT thread without a per-message lock.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Glibc

/// The schema InfluxDB holds, published by the schema thread after each read and taken by the MQTT
/// thread once per read pass (`LatestValueHandoff`), and the start-up wait for the first read.
/// Safe from any thread.
final class FieldSchemaHandoff: Sendable {
    private let latest = LatestValueHandoff(FieldSchema())
    /// Signalled once the first read has finished, whatever its outcome.
    private let firstRead = WakeSignal()

    /// A handoff; with `reading` false no schema thread runs (a dry run), so the MQTT thread
    /// never waits for one.
    init(reading: Bool) {
        if !reading { firstRead.signal() }
    }

    /// Publishes a newer schema (the schema thread).
    func publish(_ schema: FieldSchema) {
        latest.publish(schema)
    }

    /// Marks the first read as finished, read or not (the schema thread).
    func firstReadFinished() {
        firstRead.signal()
    }

    /// The schema, when a newer one was published since `seen` (which is updated); nil otherwise.
    func take(ifNewerThan seen: inout Int) -> FieldSchema? {
        latest.take(ifNewerThan: &seen)
    }

    /// Blocks the calling thread (the MQTT thread, before it connects) until the first read has
    /// finished, `timeout` has passed or `stop` is signalled, so the first messages are typed by
    /// the schema when InfluxDB answers, and intake never waits longer than `timeout` when not.
    func waitForFirstRead(upTo timeout: Duration, or stop: WakeSignal) {
        let deadline = ContinuousClock.now + timeout
        while !firstRead.isSignalled && !stop.isSignalled {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return }
            var descriptors = [
                pollfd(fd: firstRead.fileDescriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stop.fileDescriptor, events: Int16(POLLIN), revents: 0),
            ]
            _ = poll(&descriptors, 2, CInt(clamping: remaining.roundedUpMilliseconds))
        }
    }
}
