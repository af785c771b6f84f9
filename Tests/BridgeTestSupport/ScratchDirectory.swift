// iotflow-bridge: per-server temporary directories.
// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Creates and removes the temporary directory each server keeps its config, data and log in.
enum ScratchDirectory {
    /// Set this environment variable to any value to keep the directories after the tests, for post-mortems.
    static let keepVariable = "IOTFLOW_TEST_KEEP_DIRS"

    /// Creates a fresh directory `<tmp>/iotflow-<prefix>-<random>`.
    static func make(prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("iotflow-\(prefix)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw HarnessError("cannot create \(url.path): \(error)")
        }
        return url
    }

    /// Removes `url` and everything in it unless `IOTFLOW_TEST_KEEP_DIRS` is set; errors are ignored because
    /// this runs from deinit.
    static func remove(_ url: URL) {
        guard ProcessInfo.processInfo.environment[keepVariable] == nil else { return }
        try? FileManager.default.removeItem(at: url)
    }
}
