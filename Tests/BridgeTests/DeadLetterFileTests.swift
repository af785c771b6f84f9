// iotflow-bridge: the dead-letter file keeps its size bound per append and reports failures.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Foundation
import Logging
import Testing

@testable import Bridge

@Suite struct DeadLetterFileTests {
    private func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func letter(_ index: Int) -> DeadLetter {
        DeadLetter(time: 0, reason: "r", line: "m,device_id=d v=\(index) \(String(repeating: "x", count: 900))")
    }

    private func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    @Test func theFilesAndTheDirectoriesItCreatesAreTheOwnersOnly() throws {
        let dir = try directory()
        let path = dir + "/a/b/dl.jsonl"
        let file = DeadLetterFile(path: path, maxBytes: 2_000, maxFiles: 2, logger: Logger(label: "t"))
        #expect(file.append((0..<3).map(letter)) == 3)
        func mode(_ path: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1
        }
        #expect(mode(dir + "/a") == 0o700 && mode(dir + "/a/b") == 0o700)
        #expect(mode(path) == 0o600 && mode(path + ".1") == 0o600)
    }

    @Test func noFileEverPassesMaxBytesEvenWithinOneAppend() throws {
        let dir = try directory()
        let file = DeadLetterFile(path: dir + "/dl.jsonl", maxBytes: 10_000, maxFiles: 100, logger: Logger(label: "t"))
        #expect(file.append((0..<50).map(letter)) == 50)
        #expect(file.append((50..<60).map(letter)) == 10)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(names.count > 5)
        for name in names { #expect(size(dir + "/" + name) <= 10_000, "\(name)") }
        // Nothing lost, in order: the rotated files, oldest first, then the current one.
        let ordered = names.sorted {
            (Int($0.split(separator: ".").last!) ?? 0) > (Int($1.split(separator: ".").last!) ?? 0)
        }
        let records = try ordered.flatMap {
            try String(contentsOfFile: dir + "/" + $0, encoding: .utf8).split(separator: "\n")
        }
        #expect(records.compactMap { DeadLetter(jsonLine: String($0)) } == (0..<60).map(letter))
    }

    @Test func rotationKeepsMaxFilesOldFiles() throws {
        let dir = try directory()
        let file = DeadLetterFile(path: dir + "/dl.jsonl", maxBytes: 2_000, maxFiles: 2, logger: Logger(label: "t"))
        for index in 0..<20 { file.append([letter(index)]) }
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == [
                "dl.jsonl", "dl.jsonl.1", "dl.jsonl.2",
            ]
        )
    }

    @Test func aFailedWriteIsReportedAndTheNextOneWorksOnceThePathDoes() throws {
        let dir = try directory()
        // A path whose parent is a regular file cannot be created, even by root.
        try Data().write(to: URL(fileURLWithPath: dir + "/blocker"))
        let file = DeadLetterFile(
            path: dir + "/blocker/dl.jsonl",
            maxBytes: 1_000_000,
            maxFiles: 1,
            logger: Logger(label: "t")
        )
        #expect(file.append([letter(1)]) == 0)
        try FileManager.default.removeItem(atPath: dir + "/blocker")
        #expect(file.append([letter(2)]) == 1)
    }
}
