// iotflow-bridge: the composition root: services built from a configuration.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
public import Logging
public import ServiceLifecycle
public import UnixSignals

/// The bridge, wired: buffer, counters and the three services.
///
/// `serviceGroup()` lists them so that graceful shutdown (SIGTERM, SIGINT) stops intake first,
/// then lets the writer drain, then logs the final summary. Safe from any thread.
public final class BridgeApplication: Sendable {
    /// Where the points wait.
    public let buffer: any PointBuffer
    /// The counters the services bump.
    public let counters = BridgeCounters()
    private let configuration: BridgeConfiguration
    private let ingest: IngestService
    private let writer: WriterService
    private let summary: SummaryService
    private let logger: Logger

    /// Builds the bridge for a validated configuration. `dryRun` prints batches to stdout
    /// instead of writing them.
    public init(configuration: BridgeConfiguration, dryRun: Bool = false, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let buffer = MemoryPointBuffer(capacityBytes: configuration.buffer.maxBytes)
        self.buffer = buffer
        ingest = IngestService(configuration: configuration, buffer: buffer, counters: counters, logger: logger)
        let influx = configuration.influxdb
        writer = WriterService(
            configuration: configuration,
            buffer: buffer,
            counters: counters,
            makeTransport: dryRun
                ? { @Sendable in StandardOutputTransport() }
                : { @Sendable in try CurlInfluxTransport(configuration: influx, logger: logger) },
            deadLetters: DeadLetterFile(configuration: configuration.deadLetters, logger: logger),
            logger: logger
        )
        summary = SummaryService(
            interval: configuration.logging.summaryInterval,
            buffer: buffer,
            counters: counters,
            logger: logger
        )
    }

    /// The services in start order; the group stops them in reverse.
    ///
    /// - Parameter signals: the signals that start a graceful shutdown (none in tests, which
    ///   call `triggerGracefulShutdown()` on the group).
    public func serviceGroup(gracefulShutdownSignals signals: [UnixSignal] = [.sigterm, .sigint]) -> ServiceGroup {
        var group = ServiceGroupConfiguration(
            services: [
                .init(service: summary),
                .init(service: writer),
                .init(service: ingest),
            ],
            gracefulShutdownSignals: signals,
            logger: logger
        )
        // The writer may take `shutdown.drain` plus one request timeout; past that, cancel.
        group.maximumGracefulShutdownDuration =
            configuration.shutdown.drain + configuration.influxdb.timeout + .seconds(5)
        return ServiceGroup(configuration: group)
    }

    /// Runs until SIGTERM or SIGINT has stopped every service.
    public func run() async throws {
        try await serviceGroup().run()
    }

    /// Returns once the broker has granted the first subscription.
    public func waitUntilSubscribed() async {
        await ingest.subscribed.wait()
    }
}
