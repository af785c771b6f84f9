// iotflow-bridge: the service that owns the writer thread.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Logging
import ServiceLifecycle

/// Runs `BatchWriter` on its own thread (libcurl blocks, so never on the cooperative pool).
/// Graceful shutdown makes the writer drain for up to `shutdown.drain`, then returns. Lines
/// InfluxDB rejects go to the dead-letter file; a rejected field-type conflict asks the schema
/// reader for InfluxDB's field types again (`onTypeConflict`).
final class WriterService: Service {
    /// Makes the transport on the writer thread, which then owns it.
    typealias TransportFactory = @Sendable (InfluxConfiguration) throws -> any InfluxTransport

    private let configuration: BridgeConfiguration
    /// The buffer's outlet half, taken once by the writer thread, which then owns it.
    private let buffer: HandOff<any PointBufferOutlet>
    /// Ends the writer's waits for points when it is told to drain.
    private let interrupt: any PointBufferHandle
    private let counters: BridgeCounters
    private let makeTransport: TransportFactory
    private let settings: InfluxSettings
    private let deadLetters: DeadLetterFile
    /// Called on the writer thread when InfluxDB rejected a field-type conflict.
    private let onTypeConflict: (@Sendable () -> Void)?
    private let logger: Logger

    init(
        configuration: BridgeConfiguration,
        buffer: HandOff<any PointBufferOutlet>,
        interrupt: any PointBufferHandle,
        counters: BridgeCounters,
        settings: InfluxSettings,
        makeTransport: @escaping TransportFactory,
        deadLetters: DeadLetterFile,
        onTypeConflict: (@Sendable () -> Void)? = nil,
        logger: Logger
    ) {
        self.onTypeConflict = onTypeConflict
        self.settings = settings
        self.deadLetters = deadLetters
        self.configuration = configuration
        self.buffer = buffer
        self.interrupt = interrupt
        self.counters = counters
        self.makeTransport = makeTransport
        self.logger = logger
    }

    func run() async throws {
        try await DedicatedThread.runService(name: "writer", interrupt: interrupt.interruptWaits) {
            [configuration, buffer, counters, settings, makeTransport, deadLetters, onTypeConflict, logger] stop in
            guard let buffer = buffer.take() else { preconditionFailure("the writer service runs once") }
            let transport: any InfluxTransport
            do {
                transport = try makeTransport(settings.current.configuration)
            } catch {
                logger.critical("The InfluxDB client could not be set up.", metadata: ["error": "\(error)"])
                throw BridgeError("the InfluxDB client could not be set up")
            }
            BatchWriter(
                configuration: configuration,
                buffer: buffer,
                counters: counters,
                transport: transport,
                deadLetters: deadLetters,
                logger: logger,
                reloads: (settings, makeTransport),
                onTypeConflict: onTypeConflict
            ).run(until: stop)
        }
    }
}
