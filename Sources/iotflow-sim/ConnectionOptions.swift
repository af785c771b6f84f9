// iotflow-bridge: broker options shared by the simulator's subcommands.
// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Glibc

/// Where and how a simulator subcommand talks to the broker.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Broker host name or address.")
    var host = "127.0.0.1"

    @Option(help: "Broker TCP port (1-65535).")
    var port = 1883

    @Option(help: "MQTT QoS for every message (0, 1 or 2).")
    var qos = 1

    @Option(
        help: ArgumentHelp(
            "Overall time limit in seconds; the run fails if it is not done by then.",
            valueName: "seconds"
        )
    )
    var timeout: Double = 120

    @Option(name: .customLong("client-id"), help: "MQTT client id (default: iotflow-sim-<pid>).")
    var clientID: String?

    @Option(name: .customLong("cafile"), help: "Connect over TLS, trusting the CAs in this PEM file.")
    var caFile: String?

    @Option(name: .customLong("cert"), help: "Client certificate (PEM) for TLS; needs --cafile and --key.")
    var certificateFile: String?

    @Option(name: .customLong("key"), help: "The client certificate's private key (PEM).")
    var keyFile: String?

    /// The client id to use: the given one, or one unique to this process.
    var resolvedClientID: String {
        clientID ?? "iotflow-sim-\(getpid())"
    }

    func validate() throws {
        // libmosquitto traps on arguments it calls invalid, so refuse them here with a readable message.
        guard (1...65535).contains(port) else {
            throw ValidationError("--port must be between 1 and 65535.")
        }
        guard (0...2).contains(qos) else {
            throw ValidationError("--qos must be 0, 1 or 2.")
        }
        guard timeout > 0, timeout <= 86_400 else {
            throw ValidationError("--timeout must be more than 0 and at most 86400 seconds.")
        }
        guard !host.isEmpty else {
            throw ValidationError("--host must not be empty.")
        }
        guard (certificateFile == nil) == (keyFile == nil), certificateFile == nil || caFile != nil else {
            throw ValidationError("--cert and --key go together, and need --cafile.")
        }
        if let clientID, clientID.isEmpty || clientID.utf8.count > 65535 {
            throw ValidationError("--client-id must be 1 to 65535 bytes long.")
        }
    }
}
