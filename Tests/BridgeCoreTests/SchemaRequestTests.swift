// iotflow-bridge: the request that reads InfluxDB's field types, per API.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct SchemaRequestTests {
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
