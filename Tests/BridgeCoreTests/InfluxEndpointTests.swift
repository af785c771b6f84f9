// iotflow-bridge: the write URL and headers for each InfluxDB API.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct InfluxEndpointTests {
    @Test func v1UsesDatabaseRetentionPolicyAndBasicAuth() {
        let endpoint = InfluxEndpoint(
            configuration: InfluxConfiguration(
                api: .v1,
                url: "http://db:8086/",
                database: "iot data",
                retentionPolicy: "a&b",
                username: "u",
                password: Secret("p:w"),
                gzip: false
            )
        )
        #expect(endpoint.url == "http://db:8086/write?db=iot%20data&rp=a%26b&precision=ns")
        #expect(endpoint.headers == ["Content-Type: text/plain; charset=utf-8", "Authorization: Basic dTpwOnc="])
    }

    @Test func v2UsesOrgBucketAndToken() {
        let endpoint = InfluxEndpoint(
            configuration: InfluxConfiguration(api: .v2, org: "o", bucket: "b", token: Secret("t"))
        )
        #expect(endpoint.url == "http://127.0.0.1:8086/api/v2/write?org=o&bucket=b&precision=ns")
        #expect(
            endpoint.headers.contains("Authorization: Token t") && endpoint.headers.contains("Content-Encoding: gzip")
        )
    }

    @Test func v3UsesBearer() {
        let endpoint = InfluxEndpoint(
            configuration: InfluxConfiguration(api: .v3, url: "https://h", database: "d", token: Secret("t"))
        )
        #expect(endpoint.url == "https://h/api/v3/write_lp?db=d&precision=ns&accept_partial=true")
        #expect(endpoint.headers.contains("Authorization: Bearer t"))
    }
}
