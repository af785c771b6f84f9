// iotflow-bridge: the journald/terminal log output: native entries with fields, priorities, one
// line per event, quoting, the fallback when the journal refuses, and how the handler knows stderr
// is the journal.
// SPDX-License-Identifier: Apache-2.0

import CSystemd
import Foundation
import Glibc
import Logging
import Synchronization
import Testing

@testable import Bridge

struct JournalLogHandlerTests {
    /// Logs `body` through a handler writing into a pipe, and returns what it wrote.
    private func written(
        _ format: JournalLogHandler.Format,
        send: @escaping JournalLogHandler.Send = { _, _ in -ENOENT },
        _ body: (Logger) -> Void
    ) throws -> String {
        var ends: [CInt] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let logger = Logger(label: "test") { _ in
            JournalLogHandler(level: .debug, format: format, output: ends[1], send: send)
        }
        body(logger)
        close(ends[1])
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(ends[0], &chunk, chunk.count)
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func journalLinesStartWithTheSyslogPriorityAndCarryNoTimestamp() throws {
        let text = try written(.journalStream) { logger in
            logger.debug("d")
            logger.info("i")
            logger.notice("Connected.", metadata: ["mqtt.port": "1883", "a": "first"])
            logger.warning("w")
            logger.error("e")
            logger.critical("c")
        }
        #expect(text == "<7>d\n<6>i\n<5>Connected. a=first mqtt.port=1883\n<4>w\n<3>e\n<2>c\n")
    }

    @Test func terminalLinesStartWithAUTCTimestampAndTheLevel() throws {
        let text = try written(.text) { $0.warning("Buffer full.", metadata: ["buffer.points": "7"]) }
        let line = try #require(text.split(separator: "\n").first.map(String.init))
        #expect(text.hasSuffix("\n") && text.split(separator: "\n").count == 1)
        #expect(
            line.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warning Buffer full\. buffer\.points=7/) != nil,
            "\(line)"
        )
    }

    @Test func valuesWithSpacesQuotesOrNewlinesAreQuotedSoAnEventStaysOneLine() throws {
        let text = try written(.journalStream) { logger in
            logger.error(
                "InfluxDB write failed.",
                metadata: ["influx.message": "bad \"line\"\nsecond\rthird \\ end", "empty": "", "plain": "x"]
            )
        }
        #expect(
            text == #"<3>InfluxDB write failed. empty="" influx.message="bad \"line\"\nsecond\rthird \\ end" plain=x"#
                + "\n"
        )
    }

    /// The entries a `.journalFields` handler hands to the journal, as `NAME=value` items.
    private final class SentEntries: Sendable {
        private let entries = Mutex<[[String]]>([])

        /// Records each entry and answers `result`, as sd_journal_sendv would.
        func send(answering result: CInt = 0) -> JournalLogHandler.Send {
            { items, count in
                let entry = (0..<Int(count)).map { index in
                    let item = items[index]
                    let bytes = UnsafeRawBufferPointer(start: item.iov_base, count: item.iov_len)
                    return String(decoding: bytes, as: UTF8.self)
                }
                self.entries.withLock { $0.append(entry) }
                return result
            }
        }

        var all: [[String]] { entries.withLock { $0 } }
    }

    @Test func journalEntriesCarryTheFixedFieldsAndEveryMetadataKeyInUpperSnakeCase() throws {
        let sent = SentEntries()
        let line = #line + 2
        let text = try written(.journalFields, send: sent.send()) { logger in
            logger.warning(
                "Message refused.",
                metadata: [
                    "device_id": "dev-00042", "mqtt.topic": "iotflow/devices/dev-00042/telemetry/env",
                    "refusal.reason": "malformed_json", "http.status": "400",
                ]
            )
        }
        #expect(text.isEmpty, "nothing goes to stderr once the journal took the entry")
        let entry = try #require(sent.all.first)
        #expect(sent.all.count == 1)
        #expect(
            Array(entry.prefix(3)) == [
                "MESSAGE=Message refused. device_id=dev-00042 http.status=400 "
                    + "mqtt.topic=iotflow/devices/dev-00042/telemetry/env refusal.reason=malformed_json",
                "PRIORITY=4", "SYSLOG_IDENTIFIER=iotflow-bridge",
            ]
        )
        #expect(entry[3].hasPrefix("CODE_FILE=") && entry[3].hasSuffix("JournalLogHandlerTests.swift"), "\(entry[3])")
        #expect(entry[4] == "CODE_LINE=\(line)")
        #expect(entry[5].hasPrefix("CODE_FUNC=journalEntriesCarry"), "\(entry[5])")
        #expect(
            Array(entry.dropFirst(6)) == [
                "DEVICE_ID=dev-00042", "HTTP_STATUS=400", "MQTT_TOPIC=iotflow/devices/dev-00042/telemetry/env",
                "REFUSAL_REASON=malformed_json",
            ]
        )
    }

    @Test func fieldsKeepNewlinesWhileTheMessageStaysOneLine() throws {
        let sent = SentEntries()
        _ = try written(.journalFields, send: sent.send()) { logger in
            logger.error("InfluxDB write failed.", metadata: ["influx.message": "first\nsecond"])
        }
        let entry = try #require(sent.all.first)
        #expect(entry.first == #"MESSAGE=InfluxDB write failed. influx.message="first\nsecond""#)
        #expect(entry.contains("INFLUX_MESSAGE=first\nsecond"))
        #expect(entry.contains("PRIORITY=3"))
    }

    @Test func aKeyNamingAFieldTheHandlerSetsStaysInTheMessageOnly() throws {
        let sent = SentEntries()
        _ = try written(.journalFields, send: sent.send()) { logger in
            logger.notice(
                "Hello.",
                metadata: ["priority": "9", "message": "other", "_": "nothing left", "code.line": "1"]
            )
        }
        let entry = try #require(sent.all.first)
        #expect(entry.filter { $0.hasPrefix("PRIORITY=") } == ["PRIORITY=5"])
        #expect(entry.filter { $0.hasPrefix("MESSAGE=") }.count == 1)
        #expect(entry.filter { $0.hasPrefix("CODE_LINE=") }.count == 1)
        #expect(entry.first == #"MESSAGE=Hello. _="nothing left" code.line=1 message=other priority=9"#)
        #expect(entry.count == 6)
    }

    @Test func anEntryTheJournalRefusesIsWrittenAsAPriorityLineInstead() throws {
        let sent = SentEntries()
        let text = try written(.journalFields, send: sent.send(answering: -ECONNREFUSED)) { logger in
            logger.warning("Lost the MQTT connection.", metadata: ["mqtt.rc": "7"])
            logger.info("Summary.")
        }
        #expect(sent.all.count == 2)
        #expect(text == "<4>Lost the MQTT connection. mqtt.rc=7\n<6>Summary.\n")
    }

    @Test func stderrIsTheJournalOnlyWhenJournalStreamNamesItsDeviceAndInode() throws {
        var status = stat()
        try #require(fstat(STDERR_FILENO, &status) == 0)
        let matching = "\(status.st_dev):\(status.st_ino)"
        #expect(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": matching]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: [:]))
        #expect(
            !JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino + 1)"])
        )
        #expect(!JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "garbage"]))
    }
}
