// iotflow-bridge: the composition root: services built from a configuration.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
public import Logging
public import ServiceLifecycle
public import UnixSignals

/// The bridge, wired: buffer, counters and the services (summary, writer, schema reader, intake).
///
/// `serviceGroup()` lists them so that graceful shutdown (SIGTERM, SIGINT) stops intake first,
/// then lets the writer drain, then logs the final summary. Safe from any thread.
public final class BridgeApplication: Sendable {
    /// Where the points wait: what any thread may ask of the buffer (its halves belong to the
    /// intake and writer threads).
    public let buffer: any PointBufferHandle
    /// The counters the services bump.
    public let counters: BridgeCounters
    /// What the HTTP endpoint serves: metrics, health, readiness and the device listing.
    public var observability: BridgeObservatory { observatoryService.observatory }
    private let observatoryService: ObservatoryService
    private let configuration: BridgeConfiguration
    private let intake: IntakeService
    private let writer: WriterService
    private let summary: SummaryService
    /// Reads InfluxDB's field types for the mapper; nil in a dry run.
    private let schema: SchemaService?
    private let influxSettings: InfluxSettings
    private let dryRun: Bool
    private let logger: Logger

    /// Builds the bridge for a validated configuration. `dryRun` prints batches to stdout
    /// instead of writing them, from a memory buffer (it must not take points from the durable
    /// buffer that InfluxDB never got).
    ///
    /// Throws when the durable buffer's state directory cannot be used (logged at critical).
    public init(configuration: BridgeConfiguration, dryRun: Bool = false, logger: Logger) throws(BridgeError) {
        self.configuration = configuration
        self.dryRun = dryRun
        self.logger = logger
        counters = BridgeCounters(maxDevices: configuration.mapping.maxDevices)
        let buffer = try Self.openBuffer(configuration.buffer, durable: configuration.buffer.durable && !dryRun, logger)
        self.buffer = buffer.handle
        let deadLetters = DeadLetterFile(configuration: configuration.deadLetters, logger: logger)
        influxSettings = InfluxSettings(configuration.influxdb)
        let fieldSchema = FieldSchemaHandoff(reading: !dryRun)
        let schemaReader = InfluxSchemaReader(maxFieldTypes: configuration.mapping.maxFieldTypes)
        let schema =
            dryRun
            ? nil
            : SchemaService(settings: influxSettings, handoff: fieldSchema, logger: logger) { schemaReader.read($0) }
        self.schema = schema
        intake = IntakeService(
            configuration: configuration,
            buffer: buffer.intake,
            interrupt: buffer.handle,
            counters: counters,
            refusedMessages: .refusedMessages(configuration.deadLetters, logger: logger),
            schema: fieldSchema,
            logger: logger
        )
        writer = WriterService(
            configuration: configuration,
            buffer: buffer.outlet,
            interrupt: buffer.handle,
            counters: counters,
            settings: influxSettings,
            makeTransport: dryRun
                ? { @Sendable _ in StandardOutputTransport() }
                : { @Sendable influx in try CurlInfluxTransport(configuration: influx, logger: logger) },
            deadLetters: deadLetters,
            onTypeConflict: { [schema] in schema?.requestRefresh() },
            logger: logger
        )
        for warning in configuration.warnings {
            logger.warning(
                "Configuration weakens a guarantee.",
                metadata: ["key": "\(warning.key)", "warning": "\(warning.message)"]
            )
        }
        observatoryService = ObservatoryService(
            observatory: BridgeObservatory(
                counters: counters,
                buffer: buffer.handle,
                subscribed: intake.subscribed,
                staleAfter: configuration.mapping.staleAfter
            ),
            settings: influxSettings
        )
        summary = SummaryService(
            interval: configuration.logging.summaryInterval,
            buffer: buffer.handle,
            counters: counters,
            logger: logger
        )
    }

    /// The durable buffer, recovered (under systemd, a recovery that takes long but makes progress
    /// extends the start timeout), or a memory buffer.
    private static func openBuffer(
        _ configuration: BufferConfiguration,
        durable: Bool,
        _ logger: Logger
    ) throws(BridgeError) -> PointBuffer {
        guard durable else { return .memory(capacityBytes: configuration.maxBytes) }
        do {
            var startTimeout = RecoveryTimeoutExtension(notifier: .fromEnvironment())
            return try .durable(configuration: configuration, logger: logger) { startTimeout.progressed() }
        } catch {
            logger.critical("Cannot use the durable buffer.", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// The services in start order; the group stops them in reverse.
    ///
    /// - Parameter signals: the signals that start a graceful shutdown (none in tests, which
    ///   call `triggerGracefulShutdown()` on the group).
    ///   - load: reads and validates the configuration again; when given, SIGHUP reloads with it.
    public func serviceGroup(
        gracefulShutdownSignals signals: [UnixSignal] = [.sigterm, .sigint],
        reloadingWith load: (@Sendable () async throws(ConfigurationError) -> BridgeConfiguration)? = nil,
        httpEndpoint: AdminHTTPServer? = nil
    ) -> ServiceGroup {
        serviceGroup(gracefulShutdownSignals: signals, reloadingWith: load, notifier: nil, httpEndpoint: httpEndpoint)
    }

    /// Binds `http.listen` and returns the endpoint to pass to `serviceGroup`; nil when the key is
    /// empty or in a dry run (which would clash with the running bridge's port).
    ///
    /// Throws when the address cannot be bound (in use, not on this machine), logged at critical.
    public func startHTTPEndpoint() async throws(BridgeError) -> AdminHTTPServer? {
        guard !dryRun, let address = configuration.http.listenAddress else { return nil }
        let responder = AdminResponder(source: observability, defaultStaleAfter: configuration.mapping.staleAfter)
        do {
            return try await AdminHTTPServer.start(address: address, responder: responder, logger: logger)
        } catch {
            logger.critical("Cannot start the HTTP endpoint.", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// The services, with the systemd notifier first when `notifier` is given (`run` passes the
    /// one `$NOTIFY_SOCKET` asks for).
    func serviceGroup(
        gracefulShutdownSignals signals: [UnixSignal],
        reloadingWith load: (@Sendable () async throws(ConfigurationError) -> BridgeConfiguration)?,
        notifier: SystemdNotifier?,
        httpEndpoint: AdminHTTPServer?
    ) -> ServiceGroup {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let notifier {
            // First, so it stops last: STOPPING=1 comes from the signal, the drain's end from here.
            let service = SystemdNotifierService(
                notifier: notifier,
                counters: counters,
                buffer: buffer,
                subscribed: intake.subscribed,
                stopSignals: signals,
                logger: logger
            )
            services.append(.init(service: service))
        }
        // Next, so /health keeps answering while the writer drains.
        if let httpEndpoint { services.append(.init(service: httpEndpoint)) }
        services += [.init(service: summary), .init(service: observatoryService), .init(service: writer)]
        if let schema { services.append(.init(service: schema)) }
        services.append(.init(service: intake))
        if let load {
            services.append(
                .init(service: ReloadService(load: load, apply: reload, notifier: notifier, logger: logger))
            )
        }
        var group = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: signals,
            logger: logger
        )
        // The writer may take `shutdown.drain` plus one request timeout; past that, cancel.
        group.maximumGracefulShutdownDuration =
            configuration.shutdown.drain + configuration.influxdb.timeout + .seconds(5)
        return ServiceGroup(configuration: group)
    }

    /// Runs until SIGTERM or SIGINT has stopped every service; SIGHUP reloads with `load`.
    public func run(
        reloadingWith load: @escaping @Sendable () async throws(ConfigurationError) -> BridgeConfiguration
    )
        async throws
    {
        logger.notice(
            "Starting.",
            metadata: [
                "version": "\(BuildInfo.version)", "influx.api": "\(configuration.influxdb.api.rawValue)",
                "influx.url": "\(configuration.influxdb.url)", "mqtt.host": "\(configuration.mqtt.host)",
                "dry_run": "\(dryRun)",
            ]
        )
        let httpEndpoint = try await startHTTPEndpoint()
        try await serviceGroup(
            gracefulShutdownSignals: [.sigterm, .sigint],
            reloadingWith: load,
            notifier: .fromEnvironment(),
            httpEndpoint: httpEndpoint
        )
        .run()
    }

    /// Applies a reloaded, validated configuration, as `ConfigurationReload` decides: the changed
    /// `influxdb` keys take effect from the writer's next request (connection) or batch (batching),
    /// and the device registry file is read again. The log names the changed keys it applied and,
    /// separately, the changed keys that need a restart. New `influxdb` settings that do not fit
    /// the running values of the other keys refuse the whole reload.
    public func reload(_ reloaded: BridgeConfiguration) {
        var running = configuration
        running.influxdb = influxSettings.current.configuration
        let change: ConfigurationReload
        do {
            change = try ConfigurationReload(running: running, reloaded: reloaded)
        } catch {
            logger.error(
                "Reload refused: the new influxdb settings do not fit the running configuration; restart to apply them.",
                metadata: ["config.problems": "\(error.issues.map(\.description).joined(separator: "; "))"]
            )
            return
        }
        intake.reloadDeviceRegistry()
        _ = influxSettings.replace(with: change.configuration.influxdb)
        logger.notice(
            "Reloaded the configuration.",
            metadata: [
                "config.applied": "\(change.appliedKeys.isEmpty ? "none" : change.appliedKeys.joined(separator: ","))"
            ]
        )
        if !change.restartKeys.isEmpty {
            logger.warning(
                "Changes to these keys take effect after a restart.",
                metadata: ["config.keys": "\(change.restartKeys.joined(separator: ","))"]
            )
        }
    }

    /// Returns once the broker has granted the first subscription.
    public func waitUntilSubscribed() async {
        await intake.subscribed.wait()
    }
}
