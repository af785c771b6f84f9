// iotflow-bridge: entry point of the iotflow-sim device simulator.
// SPDX-License-Identifier: Apache-2.0

import ArgumentParser

/// The `iotflow-sim` command: publishes ESP32-like telemetry or counts what the broker delivers.
///
/// Every subcommand drives one unthreaded MQTT client from the main thread.
struct IotflowSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iotflow-sim",
        abstract: "Simulates MQTT telemetry devices for iotflow-bridge tests and benchmarks.",
        subcommands: [PublishCommand.self, CountCommand.self],
        defaultSubcommand: PublishCommand.self
    )
}

IotflowSim.main()
