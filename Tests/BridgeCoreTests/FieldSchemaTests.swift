// iotflow-bridge: reading the field types InfluxDB holds: the requests, the three reply shapes, the schedule.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

/// `SHOW FIELD KEYS` as InfluxDB 1.6.7 answered it (captured with curl) for a database where
/// `temperature` was written as a float now and as a string in 1970 (another shard), and with a
/// measurement and field key that need escaping in line protocol.
private let influxQLReply = #"""
    {"results":[{"statement_id":0,"series":[{"name":"m","columns":["fieldKey","fieldType"],"values":[["count","integer"],["on","boolean"],["status","string"],["temperature","float"],["temperature","string"]]},{"name":"m2 sp,c","columns":["fieldKey","fieldType"],"values":[["f k=\"q","float"]]},{"name":"other","columns":["fieldKey","fieldType"],"values":[["v","float"]]}]}]}
    """#

/// VictoriaMetrics 1.x answers every `/query` with its databases (captured with curl).
private let victoriaMetricsReply = #"""
    {"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["_internal"]]}]}]}
    """#

/// InfluxDB 3's `/api/v3/query_sql` rows for `information_schema.columns`, format json.
private let sqlReply = #"""
    [{"table_name":"home","column_name":"room","data_type":"Dictionary(Int32, Utf8)"},
     {"table_name":"home","column_name":"temp","data_type":"Float64"},
     {"table_name":"home","column_name":"co","data_type":"Int64"},
     {"table_name":"home","column_name":"packets","data_type":"UInt64"},
     {"table_name":"home","column_name":"state","data_type":"Utf8"},
     {"table_name":"home","column_name":"door","data_type":"Boolean"},
     {"table_name":"home","column_name":"time","data_type":"Timestamp(Nanosecond, None)"},
     {"table_name":"home","column_name":"odd","data_type":"Decimal128(10, 2)"}]
    """#

private func schema(_ reply: SchemaReply) -> FieldSchema? {
    guard case .schema(let schema) = reply else { return nil }
    return schema
}

@Suite struct FieldSchemaTests {
    @Test func readsInfluxQLFieldKeysWithFloatWinningAcrossShards() throws {
        let read = try #require(
            schema(FieldSchema.parseInfluxQL(status: 200, body: Array(influxQLReply.utf8), capacity: 100))
        )
        #expect(read.count == 6)
        #expect(read.type(measurement: "m", field: "count") == .integer)
        #expect(read.type(measurement: "m", field: "on") == .boolean)
        #expect(read.type(measurement: "m", field: "status") == .string)
        #expect(read.type(measurement: "m", field: "temperature") == .float)
        #expect(read.type(measurement: "m2 sp,c", field: #"f k="q"#) == .float)
        #expect(read.type(measurement: "other", field: "status") == nil)
        var listedStringFirst = FieldSchema()
        listedStringFirst.add(.string, measurement: "m", field: "t")
        listedStringFirst.add(.float, measurement: "m", field: "t")
        listedStringFirst.add(.integer, measurement: "m", field: "t")
        #expect(listedStringFirst.type(measurement: "m", field: "t") == .float && listedStringFirst.count == 1)
    }

    @Test func anEmptyDatabaseHasAnEmptySchema() {
        let reply = FieldSchema.parseInfluxQL(
            status: 200,
            body: Array(#"{"results":[{"statement_id":0}]}"#.utf8),
            capacity: 9
        )
        #expect(reply == .schema(FieldSchema(capacity: 9)))
    }

    @Test func victoriaMetricsKeepsNoFieldTypes() {
        #expect(
            FieldSchema.parseInfluxQL(status: 200, body: Array(victoriaMetricsReply.utf8), capacity: 9) == .noFieldTypes
        )
    }

    @Test(arguments: [
        (
            200, #"{"results":[{"statement_id":0,"error":"database not found: iotflow"}]}"#,
            "database not found: iotflow"
        ),
        (401, #"{"error":"authorization failed"}"#, "HTTP 401: authorization failed"),
        (
            404, #"{"code":"not found","message":"no dbrp mapping for database \"x\""}"#,
            #"HTTP 404: no dbrp mapping for database "x""#
        ),
        (502, "<html>Bad Gateway</html>", "HTTP 502: <html>Bad Gateway</html>"),
        (200, "<html>a proxy's page</html>", "the reply is not an InfluxQL result: <html>a proxy's page</html>"),
        (401, "", "HTTP 401"),
    ])
    func failedReadsSayWhy(status: Int, body: String, reason: String) {
        #expect(FieldSchema.parseInfluxQL(status: status, body: Array(body.utf8), capacity: 9) == .failed(reason))
    }

    @Test func readsInfluxDB3ColumnsSkippingTimeAndTags() throws {
        let read = try #require(schema(FieldSchema.parseSQL(status: 200, body: Array(sqlReply.utf8), capacity: 100)))
        #expect(read.count == 5)
        #expect(read.type(measurement: "home", field: "temp") == .float)
        #expect(read.type(measurement: "home", field: "co") == .integer)
        #expect(read.type(measurement: "home", field: "packets") == .unsigned)
        #expect(read.type(measurement: "home", field: "state") == .string)
        #expect(read.type(measurement: "home", field: "door") == .boolean)
        #expect(
            read.type(measurement: "home", field: "room") == nil && read.type(measurement: "home", field: "time") == nil
        )
        #expect(FieldSchema.parseSQL(status: 401, body: [], capacity: 9) == .failed("HTTP 401"))
        #expect(
            FieldSchema.parseSQL(status: 200, body: Array("{}".utf8), capacity: 9)
                == .failed("the reply is not a JSON array of rows: {}")
        )
    }

    @Test func keepsAtMostCapacityEntriesAndCountsTheRest() throws {
        let read = try #require(
            schema(FieldSchema.parseInfluxQL(status: 200, body: Array(influxQLReply.utf8), capacity: 2))
        )
        #expect(read.count == 2 && read.omitted == 5)
        #expect(
            read.type(measurement: "m", field: "count") == .integer
                && read.type(measurement: "other", field: "v") == nil
        )
    }

    @Test func requestsPerAPI() {
        var v1 = InfluxConfiguration(api: .v1, url: "http://db:8086/", database: "io t", retentionPolicy: #"a"b"#)
        v1.username = "u"
        v1.password = Secret("p")
        let influxQL = SchemaRequest(configuration: v1)
        #expect(
            influxQL.url == "http://db:8086/query?db=io%20t&q=SHOW%20FIELD%20KEYS%20FROM%20%22a%5C%22b%22.%2F.%2A%2F"
        )
        #expect(influxQL.headers == ["Accept: application/json", "Authorization: Basic dTpw"] && influxQL.body.isEmpty)

        let v2 = SchemaRequest(configuration: InfluxConfiguration(api: .v2, bucket: "tele", token: Secret("t")))
        #expect(v2.url == "http://127.0.0.1:8086/query?db=tele&q=SHOW%20FIELD%20KEYS" && v2.dialect == .influxQL)
        #expect(v2.headers.last == "Authorization: Token t")

        let v3 = SchemaRequest(
            configuration: InfluxConfiguration(api: .v3, url: "https://h", database: "d\"b", token: Secret("t"))
        )
        #expect(v3.url == "https://h/api/v3/query_sql" && v3.dialect == .sql)
        #expect(
            v3.headers == ["Content-Type: application/json", "Accept: application/json", "Authorization: Bearer t"]
        )
        #expect(
            String(decoding: v3.body, as: UTF8.self)
                == #"{"db":"d\"b","q":"SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'iox'","format":"json"}"#
        )
    }
}

@Suite struct SchemaScheduleTests {
    private let start = ContinuousClock.now

    @Test func readsAtStartThenOnlyOnRequestAtMostEveryTenSeconds() {
        var schedule = SchemaSchedule(now: start)
        #expect(schedule.isDue(at: start))
        schedule.readSucceeded(at: start)
        #expect(schedule.nextRead == nil, "a current schema waits for a request")
        schedule.refreshRequested(at: start + .seconds(1))
        #expect(schedule.nextRead == start + .seconds(10) && !schedule.isDue(at: start + .seconds(9)))
        schedule.refreshRequested(at: start + .seconds(2))
        #expect(schedule.nextRead == start + .seconds(10), "requests in between change nothing")
        schedule.readSucceeded(at: start + .seconds(10))
        schedule.refreshRequested(at: start + .seconds(60))
        #expect(schedule.nextRead == start + .seconds(60), "long after the last read: at once")
    }

    @Test func failedReadsRetryWithBackoffAndARequestDoesNotHastenThem() {
        var schedule = SchemaSchedule(now: start)
        schedule.readFailed(at: start, random: 1)
        #expect(schedule.nextRead == start + .seconds(1) && schedule.consecutiveFailures == 1)
        schedule.readFailed(at: start + .seconds(1), random: 1)
        schedule.readFailed(at: start + .seconds(3), random: 1)
        #expect(schedule.nextRead == start + .seconds(7))
        schedule.refreshRequested(at: start + .seconds(4))
        #expect(schedule.nextRead == start + .seconds(7))
        for failure in 4...12 { schedule.readFailed(at: start + .seconds(100 * failure), random: 1) }
        #expect(schedule.nextRead == start + .seconds(1_260), "the backoff stops at 60 s")
        schedule.readSucceeded(at: start + .seconds(1_260))
        #expect(schedule.consecutiveFailures == 0 && schedule.nextRead == nil)
    }

    @Test func aSinkWithoutFieldTypesIsNeverReadAgain() {
        var schedule = SchemaSchedule(now: start)
        schedule.sinkHasNoFieldTypes()
        schedule.refreshRequested(at: start + .seconds(3600))
        #expect(schedule.nextRead == nil && !schedule.isDue(at: start + .seconds(7200)))
    }
}
