// iotflow-bridge: the simulator's one-line failure report.
// SPDX-License-Identifier: Apache-2.0

/// A failure the simulator reports as one readable line on stderr before exiting with status 1.
///
/// ArgumentParser prints `Error: <description>` for it, so the description is a whole sentence
/// with the context (host, counts) a script log needs.
struct SimulatorError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
