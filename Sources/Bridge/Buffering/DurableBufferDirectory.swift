// iotflow-bridge: the durable buffer's state directory, locked for as long as the buffer lives.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import Glibc

/// The state directory, created if needed and locked against a second bridge until both
/// halves of the buffer are gone. Immutable, so safe from any thread.
final class DurableBufferDirectory: Sendable {
    let path: String
    private let lockDescriptor: CInt

    /// Creates `path` (mode 0700) if needed and takes its lock file.
    init(path: String) throws(BridgeError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw BridgeError("cannot create the state directory \(path): \(error.localizedDescription)")
        }
        let descriptor = try FileIO.open(path + "/lock", flags: O_RDWR | O_CREAT)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw BridgeError(
                "another iotflow-bridge is using the state directory \(path) (it holds its lock file)"
            )
        }
        self.path = path
        lockDescriptor = descriptor
    }

    deinit {
        close(lockDescriptor)
    }

    /// The path of segment `id`.
    func segmentPath(_ id: UInt64) -> String {
        path + "/" + SegmentFormat.fileName(id: id)
    }
}
