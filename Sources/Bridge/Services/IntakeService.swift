// iotflow-bridge: the service that owns the MQTT thread.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Logging
import ServiceLifecycle

/// Runs `MQTTIntake` on its own thread for the life of the service. Graceful shutdown stops
/// reading, sends the last PUBACKs and DISCONNECT, and returns once the thread has ended.
final class IntakeService: Service {
    private let configuration: BridgeConfiguration
    /// The buffer's intake half, taken once by the MQTT thread, which then owns it.
    private let buffer: HandOff<any PointBufferIntake>
    /// Ends the intake's waits for room at stop.
    private let interrupt: any PointBufferHandle
    private let counters: BridgeCounters
    private let refusedMessages: DeadLetterFile
    private let logger: Logger
    /// Fires once the broker has granted the first subscription.
    let subscribed = ReadinessEvent()
    /// The device registry the MQTT thread maps with; `reloadDeviceRegistry()` replaces it.
    private let deviceRegistry: DeviceRegistryHandoff
    /// The field types read from InfluxDB, which the MQTT thread types fields with.
    private let schema: FieldSchemaHandoff

    init(
        configuration: BridgeConfiguration,
        buffer: HandOff<any PointBufferIntake>,
        interrupt: any PointBufferHandle,
        counters: BridgeCounters,
        refusedMessages: DeadLetterFile,
        schema: FieldSchemaHandoff,
        logger: Logger
    ) {
        self.refusedMessages = refusedMessages
        self.schema = schema
        self.configuration = configuration
        self.buffer = buffer
        self.interrupt = interrupt
        self.counters = counters
        self.logger = logger
        deviceRegistry = DeviceRegistryHandoff(path: configuration.mapping.deviceRegistry, logger: logger)
    }

    /// Reads the device registry file again (SIGHUP); the MQTT thread uses it from its next read pass.
    func reloadDeviceRegistry() {
        deviceRegistry.reload()
    }

    func run() async throws {
        try await DedicatedThread.runService(name: "mqtt", interrupt: interrupt.interruptAppends) {
            [configuration, buffer, counters, subscribed, refusedMessages, deviceRegistry, schema, logger] stop in
            guard let buffer = buffer.take() else { preconditionFailure("the intake service runs once") }
            do {
                let intake = MQTTIntake(
                    configuration: configuration,
                    buffer: buffer,
                    counters: counters,
                    subscribed: subscribed,
                    refusedMessages: refusedMessages,
                    deviceRegistry: deviceRegistry,
                    schema: schema,
                    logger: logger
                )
                try intake.run(until: stop)
            } catch {
                logger.critical("The MQTT client could not be set up.", metadata: ["error": "\(error)"])
                throw BridgeError("the MQTT client could not be set up")
            }
        }
    }
}
