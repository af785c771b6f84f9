// iotflow-bridge: one log event as a native journal entry: `NAME=value` items for sd_journal_sendv.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import CSystemd
import Glibc
import Logging

/// A journal entry's items, `NAME=value` each, in one contiguous buffer: one allocation for the
/// bytes and one for the item ends however many fields there are, and the `iovec`s on the stack
/// for the one `sd_journal_sendv` call. libsystemd picks the protocol's binary form for a value
/// holding a newline, and passes an entry too large for a datagram in a memfd.
struct JournalEntry {
    /// The fields the handler sets itself, and journald's own trusted-by-convention names: a
    /// metadata key that maps onto one of them is left out of the fields (it still reads in
    /// `MESSAGE`), so no entry carries two `PRIORITY`s or a `MESSAGE` that is not the message.
    static let reservedNames: Set<String> = [
        "MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "SYSLOG_FACILITY", "SYSLOG_PID",
        "SYSLOG_TIMESTAMP", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "ERRNO", "TID",
    ]

    private var bytes: [UInt8] = []
    /// Where each item ends in `bytes`.
    private var ends: [Int] = []

    /// The entry for `event`: `text` (message and `key=value` text) as `MESSAGE`, the fixed fields,
    /// then each of `metadata` (sorted pairs) under its journal field name.
    init(event: LogEvent, priority: Int, text: String, metadata: [(String, String)]) {
        let valueBytes = metadata.reduce(text.utf8.count + 256) { $0 + $1.0.utf8.count + $1.1.utf8.count + 2 }
        bytes.reserveCapacity(valueBytes + event.file.utf8.count + event.function.utf8.count)
        ends.reserveCapacity(6 + metadata.count)
        append("MESSAGE", text)
        append("PRIORITY", "\(priority)")
        append("SYSLOG_IDENTIFIER", "iotflow-bridge")
        append("CODE_FILE", event.file)
        append("CODE_LINE", "\(event.line)")
        append("CODE_FUNC", event.function)
        for (key, value) in metadata {
            guard let name = JournalField.name(forMetadataKey: key), !Self.reservedNames.contains(name) else {
                continue
            }
            append(name, value)
        }
    }

    private mutating func append(_ name: String, _ value: String) {
        bytes += name.utf8
        bytes.append(UInt8(ascii: "="))
        bytes += value.utf8
        ends.append(bytes.count)
    }

    /// Hands the items to `send` as `iovec`s; returns its result (negative errno on failure).
    func send(through send: JournalLogHandler.Send) -> CInt {
        bytes.withUnsafeBufferPointer { buffer in
            withUnsafeTemporaryAllocation(of: iovec.self, capacity: ends.count) { items in
                guard let base = buffer.baseAddress, let first = items.baseAddress else { return -EINVAL }
                var start = 0
                for (index, end) in ends.enumerated() {
                    items[index] = iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: base + start),
                        iov_len: end - start
                    )
                    start = end
                }
                return send(first, CInt(ends.count))
            }
        }
    }
}
