// iotflow-bridge: reading 1.x partial writes back to the lines they drop.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct PartialWriteTests {
    private func lines(_ text: String...) -> [ArraySlice<UInt8>] {
        text.map { Array(($0 + "\n").utf8)[...] }
    }

    @Test(arguments: [
        ("partial write: points beyond retention policy dropped=3", PartialWrite.Cause.beyondRetention, 3),
        (
            "failure writing points to database: partial write: points beyond retention policy dropped=2",
            .beyondRetention, 2
        ),
        (
            #"partial write: field type conflict: input field "t" on measurement "env" is type boolean, already exists as type float dropped=4"#,
            .fieldTypeConflict(measurement: "env", field: "t", inputType: "boolean"), 4
        ),
        ("partial write: unable to parse 'a b': bad\nunable to parse 'c': worse dropped=0", .unparseable, 2),
        ("partial write: max-values-per-tag limit exceeded (100000/100000) dropped=7", .other, 7),
        ("partial write: something dropped=99999999999999999999999", .other, Int.max),
    ])
    func readsTheCauseAndTheCount(message: String, cause: PartialWrite.Cause, dropped: Int) {
        let report = PartialWrite(message: message)
        #expect(report?.cause == cause && report?.dropped == dropped && report?.message == message)
    }

    @Test(arguments: [
        "unable to parse 'x': bad", "partial write: no count", "partial write: x dropped=",
        "partial write: x dropped=-1",
        "partial write: x dropped=1 trailing", "points beyond retention policy dropped=1",
    ])
    func otherMessagesAreNoPartialWrite(message: String) {
        #expect(PartialWrite(message: message) == nil)
    }

    @Test func retentionDropsTheOldestLines() {
        let report = PartialWrite(message: "partial write: points beyond retention policy dropped=2")!
        let sent = lines("m v=1 300", "m v=2 100", "m,t=a\\ b s=\"x y\" 500", "m v=4 200", "m v=5")
        #expect(report.identify(sent) == PartialWrite.Identification(dropped: [1, 3]))
    }

    @Test func retentionWithATieAtTheCutOffLeavesCandidates() {
        // Two dropped, but the second and third oldest share a timestamp: which one went is unknown.
        let report = PartialWrite(message: "partial write: points beyond retention policy dropped=2")!
        let sent = lines("m v=1 100", "m v=2 200", "m,d=x v=3 200", "m v=4 300")
        #expect(report.identify(sent) == PartialWrite.Identification(dropped: [0], candidates: [1, 2], unnamed: 1))
    }

    @Test func typeConflictsNameLinesByMeasurementFieldAndType() {
        let report = PartialWrite(
            message:
                #"partial write: field type conflict: input field "te mp" on measurement "en,v" is type boolean, already exists as type float dropped=2"#
        )!
        let sent = lines(
            #"en\,v,device_id=a te\ mp=true 1"#,  // the conflict
            #"en\,v,device_id=b te\ mp=21.5 2"#,  // a float: stored
            #"other,device_id=c te\ mp=false 3"#,  // another measurement
            #"en\,v,device_id=d x="t",te\ mp=F 4"#  // the conflict, after a string field
        )
        #expect(report.identify(sent) == PartialWrite.Identification(dropped: [0, 3]))
    }

    @Test func parseErrorsNameTheQuotedLines() {
        let report = PartialWrite(
            message:
                "partial write: unable to parse 'm v=1 x': bad timestamp\nunable to parse 'n': it's': missing fields dropped=0"
        )!
        // The second quote holds `': ` itself: the quote ends at the first `': ` that gives a line sent.
        let sent = lines("ok v=1 1", "m v=1 x", "n': it's")
        #expect(report.identify(sent) == PartialWrite.Identification(dropped: [1, 2]))
    }

    @Test func dropsTheMessageCannotPlaceLeaveEveryOtherLineACandidate() {
        let report = PartialWrite(message: "partial write: max-values-per-tag limit exceeded dropped=2")!
        #expect(
            report.identify(lines("a v=1 1", "b v=1 2", "c v=1 3"))
                == PartialWrite.Identification(candidates: [0, 1, 2], unnamed: 2)
        )
        // A conflict naming fewer lines than dropped: the named ones, and the rest among the others.
        let conflict = PartialWrite(
            message:
                #"partial write: field type conflict: input field "v" on measurement "a" is type integer, already exists as type float dropped=2"#
        )!
        #expect(
            conflict.identify(lines("a v=1i 1", "b v=1i 2", "c v=1 3"))
                == PartialWrite.Identification(dropped: [0], candidates: [1, 2], unnamed: 1)
        )
    }
}
