// iotflow-bridge: the journald/terminal log lines: priorities, one line per event, quoting,
// and how the handler knows stderr is the journal.
// SPDX-License-Identifier: Apache-2.0

import Bridge
import Foundation
import Glibc
import Logging
import Testing

struct JournalLogHandlerTests {
    /// Logs `body` through a handler writing into a pipe, and returns what it wrote.
    private func written(forJournal: Bool, _ body: (Logger) -> Void) throws -> String {
        var ends: [CInt] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let logger = Logger(label: "test") { _ in
            JournalLogHandler(level: .debug, forJournal: forJournal, output: ends[1])
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
        let text = try written(forJournal: true) { logger in
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
        let text = try written(forJournal: false) { $0.warning("Buffer full.", metadata: ["buffer.points": "7"]) }
        let line = try #require(text.split(separator: "\n").first.map(String.init))
        #expect(text.hasSuffix("\n") && text.split(separator: "\n").count == 1)
        #expect(
            line.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warning Buffer full\. buffer\.points=7/) != nil,
            "\(line)"
        )
    }

    @Test func valuesWithSpacesQuotesOrNewlinesAreQuotedSoAnEventStaysOneLine() throws {
        let text = try written(forJournal: true) { logger in
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
