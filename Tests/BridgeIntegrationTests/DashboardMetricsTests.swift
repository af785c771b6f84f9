// iotflow-bridge: DashboardMetrics, and the shipped Grafana dashboard against the metric contract.
// SPDX-License-Identifier: Apache-2.0

import BridgeTestSupport
import Foundation
import Testing

// Here rather than in BridgeTests, which does not depend on BridgeTestSupport; these tests start no server.
@Suite
struct DashboardMetricsTests {
    /// The metric names issue 12 fixes, as /metrics exposes them (the histogram as its three sample names).
    private static let contract = [
        "messages_received_total", "messages_refused_total", "points_received_total", "points_written_total",
        "points_rejected_total", "points_dropped_total", "fields_skipped_total", "timestamps_replaced_total",
        "write_requests_total", "write_errors_total", "write_duration_seconds_bucket",
        "write_duration_seconds_sum", "write_duration_seconds_count", "breaker_opened_total", "buffer_points",
        "buffer_bytes", "buffer_capacity_bytes", "mqtt_connected", "intake_paused", "breaker_open",
        "oldest_point_age_seconds", "devices_seen", "devices_stale", "devices_untracked_messages_total",
        "build_info",
    ].map { "iotflow_bridge_\($0)" }

    private static let shippedDashboard = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("etc/grafana/iotflow-bridge.json").path

    /// Writes `json` to a new temporary file and returns its path.
    private func dashboardFile(_ json: String) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("iotflow-dashboard-\(UUID().uuidString).json")
        try json.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func readsEveryTargetExprIncludingRowsNestedPanels() throws {
        let path = try dashboardFile(
            """
            {"title": "t", "description": "iotflow_bridge_in_description",
             "templating": {"list": [{"query": "label_values(iotflow_bridge_in_template, instance)"}]},
             "panels": [
               {"type": "timeseries", "targets": [
                 {"expr": "rate(iotflow_bridge_a_total{instance=~\\"$instance\\"}[5m])",
                  "legendFormat": "iotflow_bridge_in_legend"},
                 {"expr": "iotflow_bridge_b / iotflow_bridge_c2_bytes"}]},
               {"type": "row", "collapsed": true, "panels": [
                 {"type": "stat", "targets": [{"expr": "histogram_quantile(0.9, sum by (le) (rate(iotflow_bridge_d_bucket[1m])))"}]},
                 {"type": "text"}]},
               {"type": "stat", "targets": [{"expr": "up{job=\\"other\\"}"}, {"refId": "no expr"}]}
             ]}
            """
        )
        defer { try? FileManager.default.removeItem(atPath: path) }
        let names = try DashboardMetrics.metricNames(inDashboardAt: path)
        #expect(
            names == [
                "iotflow_bridge_a_total", "iotflow_bridge_b", "iotflow_bridge_c2_bytes", "iotflow_bridge_d_bucket",
            ]
        )
    }

    @Test func refusesAFileThatIsNotADashboardObject() throws {
        let array = try dashboardFile("[1, 2]")
        let broken = try dashboardFile("{\"panels\": [")
        defer {
            try? FileManager.default.removeItem(atPath: array)
            try? FileManager.default.removeItem(atPath: broken)
        }
        #expect(throws: HarnessError.self) { try DashboardMetrics.metricNames(inDashboardAt: array) }
        #expect(throws: (any Error).self) { try DashboardMetrics.metricNames(inDashboardAt: broken) }
    }

    @Test func aNameIsPresentOnlyThroughASampleLineOfExactlyThatName() {
        let exposition = """
            # HELP iotflow_bridge_only_described A metric with help and type but no sample.
            # TYPE iotflow_bridge_only_described gauge
            iotflow_bridge_plain 3
            iotflow_bridge_labelled{reason="too_large"} 1
            iotflow_bridge_prefix_total 4

            """
        let wanted: Set<String> = [
            "iotflow_bridge_plain", "iotflow_bridge_labelled", "iotflow_bridge_only_described",
            "iotflow_bridge_prefix", "iotflow_bridge_absent",
        ]
        #expect(
            DashboardMetrics.missing(wanted, in: exposition)
                == ["iotflow_bridge_only_described", "iotflow_bridge_prefix", "iotflow_bridge_absent"]
        )
    }

    @Test func anyOfAHistogramsSamplesStandsForTheFamily() {
        let exposition = """
            # TYPE iotflow_bridge_write_duration_seconds histogram
            iotflow_bridge_write_duration_seconds_sum 0.5
            iotflow_bridge_write_duration_seconds_count 2

            """
        let family: Set<String> = [
            "iotflow_bridge_write_duration_seconds", "iotflow_bridge_write_duration_seconds_bucket",
            "iotflow_bridge_write_duration_seconds_sum", "iotflow_bridge_write_duration_seconds_count",
        ]
        #expect(DashboardMetrics.missing(family, in: exposition).isEmpty)
        // A plain gauge X is no histogram: it does not stand for X_bucket.
        let gauge = "iotflow_bridge_other_seconds 1\n"
        #expect(
            DashboardMetrics.missing(["iotflow_bridge_other_seconds_bucket"], in: exposition + gauge)
                == ["iotflow_bridge_other_seconds_bucket"]
        )
    }

    @Test func theShippedDashboardQueriesOnlyContractMetrics() throws {
        let names = try DashboardMetrics.metricNames(inDashboardAt: Self.shippedDashboard)
        let exposition = Self.contract.map { "\($0) 0" }.joined(separator: "\n")
        #expect(DashboardMetrics.missing(names, in: exposition).isEmpty)
        // The panels the issue asks for; a dashboard that lost one would still pass the line above.
        for required in [
            "messages_received_total", "points_written_total", "points_rejected_total", "oldest_point_age_seconds",
            "buffer_bytes", "buffer_capacity_bytes", "buffer_points", "write_duration_seconds_bucket",
            "write_requests_total", "messages_refused_total", "devices_seen", "devices_stale", "mqtt_connected",
            "intake_paused", "breaker_open",
        ] {
            #expect(names.contains("iotflow_bridge_\(required)"), "no panel queries iotflow_bridge_\(required)")
        }
    }
}
