// iotflow-bridge: the command line: run, check-config, print-config.
// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Bridge
import BridgeCore
import Foundation
import Logging

@main
struct IoTFlowBridge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iotflow-bridge",
        abstract: "Moves device telemetry from an MQTT broker into InfluxDB without losing it.",
        discussion: """
            Every configuration key can also be set by an environment variable named after it in \
            upper snake case (influxdb.batch_size is INFLUXDB_BATCH_SIZE); the variables win over the file.
            """,
        version: BuildInfo.version,
        subcommands: [Run.self, CheckConfig.self, PrintConfig.self, DeadLetters.self, Status.self],
        defaultSubcommand: Run.self
    )
}

/// The `--config` option every subcommand shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The YAML configuration file (see etc/iotflow-bridge.yaml).")
    var config: String?

    func load() async throws(ConfigurationError) -> BridgeConfiguration {
        try await BridgeConfiguration.load(filePath: config, environment: ProcessInfo.processInfo.environment)
    }

    /// The configuration, or every problem printed and exit code 78 (EX_CONFIG), on which
    /// systemd's `RestartPreventExitStatus` stops retrying.
    func loadOrExit() async throws -> BridgeConfiguration {
        do {
            return try await load()
        } catch {
            CheckConfig.report(error)
            throw ExitCode(78)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the bridge (the default).")

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Subscribe and map as usual, but print the line protocol to stdout instead of writing it.")
    var dryRun = false

    func run() async throws {
        let configuration = try await options.loadOrExit()
        let journal = JournalLogHandler.stderrIsJournal(environment: ProcessInfo.processInfo.environment)
        let level = Logger.Level(rawValue: configuration.logging.level.rawValue) ?? .info
        LoggingSystem.bootstrap { _ in JournalLogHandler(level: level, format: journal ? .journalFields : .text) }
        let logger = Logger(label: "iotflow-bridge")

        // Process-wide set-up before any thread starts: libmosquitto's and libcurl's global init
        // are not thread-safe, and a closed socket must not kill the process with SIGPIPE, nor a
        // file-size limit (LimitFSIZE=) with SIGXFSZ: the write then fails with EFBIG, and a
        // refused buffer write pauses intake like a full disk.
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        // No core file: it would hold the token, the password and buffered payloads. A hard limit
        // of 0 (prctl(PR_SET_DUMPABLE) is variadic in C, which Swift cannot call).
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        LibraryBootstrap.initialize()
        defer { LibraryBootstrap.cleanup() }

        let application = try BridgeApplication(configuration: configuration, dryRun: dryRun, logger: logger)
        let options = self.options
        try await application.run(reloadingWith: { () async throws(ConfigurationError) in try await options.load() })
        logger.notice("Stopped.")
    }
}

struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the configuration and list every problem, naming the key; exit 1 if any."
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        do throws(ConfigurationError) {
            let configuration = try await options.load()
            let problems = configuration.tlsFileProblems
            if !problems.isEmpty { throw ConfigurationError(issues: problems) }
            for warning in configuration.warnings
                + configuration.secretFileWarnings(
                    configFile: options.config,
                    environment: ProcessInfo.processInfo.environment
                )
            {
                FileHandle.standardError.write(Data("warning: \(warning.key) \(warning.message)\n".utf8))
            }
            print("configuration OK")
        } catch {
            Self.report(error)
            throw ExitCode.failure
        }
    }

    static func report(_ error: ConfigurationError) {
        FileHandle.standardError.write(Data(error.report.utf8))
    }
}

struct PrintConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the effective configuration (file plus environment), secrets redacted."
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        do {
            print(try await options.load().renderedYAML(), terminator: "")
        } catch {
            CheckConfig.report(error)
            throw ExitCode.failure
        }
    }
}

struct DeadLetters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "Work with the dead-letter file.",
        subcommands: [Replay.self]
    )

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Resend the lines InfluxDB refused (after fixing the cause); lines refused again go to FILE.rejected."
        )

        @OptionGroup var options: ConfigOptions

        @Argument(help: "A dead-letter file (dead_letters.path, or a rotated FILE.N).")
        var file: String

        func run() async throws {
            let configuration = try await options.loadOrExit()
            LibraryBootstrap.initialize()
            defer { LibraryBootstrap.cleanup() }
            let report = try await DeadLetterReplay.run(
                path: file,
                configuration: configuration,
                logger: Logger(label: "replay")
            )
            print(report.summary(file: file))
            if let failure = report.failure {
                FileHandle.standardError.write(Data("stopped: \(failure)\n".utf8))
                throw ExitCode.failure
            }
            if report.rejected > 0 { throw ExitCode.failure }
        }
    }
}
