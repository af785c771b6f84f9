// iotflow-bridge: escaping and number formatting of the line-protocol writer.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct LineProtocolWriterTests {
    private func encode(
        measurement: String,
        tags: [(String, String)] = [],
        fields: [(String, FieldValue)],
        timestamp: Int64 = 1
    ) -> String {
        var writer = LineProtocolWriter()
        writer.beginPoint(measurement: measurement.utf8)
        for (key, value) in tags { writer.appendTag(key: key.utf8, value: value.utf8) }
        for (key, value) in fields { writer.appendField(key: key.utf8, value: value) }
        writer.endPoint(timestampNanoseconds: timestamp)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test(arguments: [
        (50.0, "50"), (50.5, "50.5"), (-0.25, "-0.25"), (0.0, "0"), (-0.0, "0"), (1e-5, "1e-05"),
        (9_007_199_254_740_991.0, "9007199254740991"), (1.5e20, "1.5e+20"), (-3.0, "-3"),
    ])
    func floatsAreWrittenAsFloats(value: Double, expected: String) {
        #expect(encode(measurement: "m", fields: [("v", .float(value))]) == "m v=\(expected) 1\n")
    }

    @Test func everyFieldTypeHasItsSyntax() {
        let line = encode(
            measurement: "m",
            fields: [
                ("i", .integer(-42)), ("u", .unsigned(42)), ("t", .boolean(true)), ("f", .boolean(false)),
                ("s", .string("say \"hi\" \\ bye\nnow")),
            ],
            timestamp: -1_000
        )
        #expect(line == "m i=-42i,u=42u,t=true,f=false,s=\"say \\\"hi\\\" \\\\ bye now\" -1000\n")
    }

    @Test func extremeTimestampsAreWrittenExactly() {
        #expect(encode(measurement: "m", fields: [("v", .float(1))], timestamp: .max) == "m v=1 9223372036854775807\n")
        #expect(encode(measurement: "m", fields: [("v", .float(1))], timestamp: .min) == "m v=1 -9223372036854775808\n")
    }

    @Test func measurementEscapesCommaAndSpaceOnly() {
        #expect(encode(measurement: "a,b c=d", fields: [("v", .float(1))]) == "a\\,b\\ c=d v=1 1\n")
    }

    @Test func tagsAndFieldKeysEscapeCommaEqualsAndSpace() {
        let line = encode(measurement: "m", tags: [("k ,=", "v ,=")], fields: [("f ,=", .float(1))])
        #expect(line == "m,k\\ \\,\\==v\\ \\,\\= f\\ \\,\\==1 1\n")
    }

    @Test func controlCharactersAndBackslashesBecomeUnderscores() {
        let line = encode(
            measurement: "a\nb\\",
            tags: [("t\tk", "v\r\u{7F}")],
            fields: [("x\\", .float(1))]
        )
        #expect(line == "a_b_,t_k=v__ x_=1 1\n")
    }

    @Test func quotesInFieldKeysBecomeUnderscoresButStayInTags() {
        #expect(
            encode(measurement: "m\"", tags: [("k\"", "v\"")], fields: [("f\"", .float(1))]) == "m\",k\"=v\" f_=1 1\n"
        )
    }

    @Test func leadingHashWouldMakeAComment() {
        #expect(encode(measurement: "#m", fields: [("v", .float(1))]) == "_m v=1 1\n")
    }

    @Test func writerTracksLineLengthsAndCanCancelAPoint() {
        var writer = LineProtocolWriter()
        writer.beginPoint(measurement: "m".utf8)
        writer.appendField(key: "v".utf8, value: .float(1))
        writer.endPoint(timestampNanoseconds: 5)
        writer.beginPoint(measurement: "gone".utf8)
        writer.appendField(key: "v".utf8, value: .float(2))
        writer.cancelPoint()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "m v=1 5\n")
        #expect(writer.lineLengths == [8])
        writer.removeAll()
        #expect(writer.bytes.isEmpty && writer.pointCount == 0)
    }
}
