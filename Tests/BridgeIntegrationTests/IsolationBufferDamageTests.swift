// iotflow-bridge: issue 10, a damaged buffer record: the built bridge, real mosquitto and InfluxDB
// 1.6.7; bytes in the middle of the newest segment are damaged while the bridge is stopped, and
// it loses that record only, while other devices' traffic during the restart all lands.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import BridgeTestSupport
import Foundation
import Testing

/// The records of a segment file, with their byte ranges and the `seq` values of their lines.
private func records(of url: URL) throws -> [(range: Range<Int>, seqs: [Int])] {
    let bytes = [UInt8](try Data(contentsOf: url))
    var found: [(Range<Int>, [Int])] = []
    var offset = SegmentFormat.headerBytes
    while case .record(let record) = bytes.withUnsafeBytes({ SegmentFormat.scan($0, at: offset) }) {
        let text = String(decoding: bytes[record.linesOffset..<record.end], as: UTF8.self)
        found.append((record.offset..<record.end, sequenceNumbers(text)))
        offset = record.end
    }
    return found
}

/// The `seq` field of each line protocol line (a float field: `seq=123`).
private func sequenceNumbers(_ lines: String) -> [Int] {
    lines.split(separator: "\n").compactMap { line in
        line.split(separator: "seq=").last?.split(whereSeparator: { $0 == "," || $0 == " " }).first.flatMap {
            Int($0)
        }
    }
}

@Suite(.requiresRealServers, .serialized, .timeLimit(.minutes(5)))
struct IsolationBufferDamageTests {
    private let database = "iotflow"

    /// Every stored `seq` of `measurement`, one per stored point.
    private func storedSequenceNumbers(_ influx: InfluxDB1Server, _ measurement: String) async throws -> [Int] {
        let result = try await influx.query("SELECT seq FROM \(measurement)", database: database)
        return result.flatMap { $0.column("seq") }.compactMap { $0.double.map { Int($0) } }
    }

    /// The bridge stops with a 2,000-message backlog on disk (InfluxDB away); one record in the
    /// middle of the newest segment is damaged; it restarts with InfluxDB back while 20 devices
    /// publish 3,000 messages to another measurement. Bounds: peak RSS (VmHWM) below 128 MiB
    /// (42 MiB measured: a small backlog, far below the default 64 MiB ring); no dead-letter
    /// byte (damaged bytes are not data InfluxDB turned down: they stay in the `.corrupt` copy).
    @Test func damageInTheMiddleOfTheNewestSegmentLosesOnlyTheDamagedRecord() async throws {
        let (broker, influx) = try await startBrokerAndInfluxDB(database: database)
        await influx.stop()
        let bridge = BridgeProcess(
            brokerPort: broker.port,
            influxURL: influx.baseURL.absoluteString,
            extra: ["SHUTDOWN_DRAIN": "1s"]
        )
        try await bridge.start()
        // InfluxDB is away: acknowledged means in the segment file, and there it stays.
        let backlog = try startPublisher(port: broker.port, devices: 20, count: 2_000, rate: 0)
        try await eventually(timeout: .seconds(120), "the backlog publisher to finish") { !backlog.isRunning }
        try #require(backlog.logText().contains("published 2000 acknowledged 2000"), "\(backlog.logText())")
        // The broker acknowledged them all; the bridge has them once they are in its segment.
        let newest = URL(fileURLWithPath: bridge.bufferDirectory).appendingPathComponent(SegmentFormat.fileName(id: 1))
        try await eventually(timeout: .seconds(60), "the bridge to hold the 2,000 messages") {
            try records(of: newest).flatMap(\.seqs).count == 2_000
        }
        #expect(await bridge.terminate().status == 0)

        // Damage one record in the middle of the newest segment (the only one): valid records follow it.
        let segments = try FileManager.default.contentsOfDirectory(atPath: bridge.bufferDirectory)
            .filter { $0.hasSuffix(".log") }
        try #require(segments == [newest.lastPathComponent], "\(segments)")
        let found = try records(of: newest)
        let damaged = found[found.count / 2]
        var bytes = try Data(contentsOf: newest)
        for offset in stride(from: damaged.range.lowerBound + 14, to: damaged.range.upperBound - 1, by: 9) {
            bytes[offset] ^= 0x5A
        }
        try bytes.write(to: newest)

        // Other devices publish through the restart; InfluxDB is back.
        try await influx.start()
        let background = try startPublisher(
            port: broker.port,
            devices: 20,
            count: 3_000,
            rate: 500,
            firstSeq: 1_000_000,
            measurement: "background"
        )
        try await bridge.start()
        let expected = Set(0..<2_000).subtracting(damaged.seqs)
        try await eventually(timeout: .seconds(120), "the backlog and the background traffic to land") {
            let landed = try await storedSequenceNumbers(influx, "environment").count
            let others = try await storedSequenceNumbers(influx, "background").count
            return landed >= expected.count && others >= 3_000
        }
        try await eventually(timeout: .seconds(60), "the background publisher to finish") { !background.isRunning }
        #expect(background.logText().contains("published 3000 acknowledged 3000"), "\(background.logText())")

        let stored = try await storedSequenceNumbers(influx, "environment")
        #expect(stored.count == expected.count && Set(stored) == expected, "missing: \(expected.subtracting(stored))")
        let others = try await storedSequenceNumbers(influx, "background")
        #expect(others.count == 3_000 && Set(others) == Set(1_000_000..<1_003_000))
        #expect(bridge.isRunning, "the bridge stopped: \(bridge.logText)")
        #expect(FileManager.default.fileExists(atPath: newest.path + ".corrupt"))
        #expect(bridge.logText.contains("A buffer segment is damaged"), "\(bridge.logText)")
        #expect(bridge.logText.contains("buffer.unreadable_bytes=\(damaged.range.count)"), "\(bridge.logText)")
        let peak = try #require(bridge.peakRSSBytes)
        print("bridge peak RSS \(peak / 1024) KiB; damaged record \(damaged.range.count) bytes, seq \(damaged.seqs)")
        #expect(peak < 128 << 20, "peak RSS \(peak) bytes")
        #expect(bridge.deadLetterBytes == 0)
        #expect(await bridge.terminate().status == 0)
    }
}
