// iotflow-bridge: reading the field types InfluxDB holds from the three reply shapes.
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
}
