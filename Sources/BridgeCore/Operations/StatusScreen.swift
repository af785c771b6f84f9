// iotflow-bridge: the screen `iotflow-bridge status` prints, from the /health and /devices replies.
// SPDX-License-Identifier: Apache-2.0

/// One screen for a person: the verdict, the checks, the rates, the buffer, the lag and the
/// silent devices. Pure: the replies in, the text out.
public enum StatusScreen {
    /// Stale devices listed at most; the rest are counted.
    public static let maxDevicesShown = 10

    /// The exit code for scripts: 0 pass, 1 warn, 2 fail (and 2 when the bridge cannot be asked).
    public static func exitCode(for status: HealthStatus) -> Int32 {
        switch status {
        case .pass: 0
        case .warn: 1
        case .fail: 2
        }
    }

    /// The screen for `report` and `listing`, ending in a newline.
    public static func render(_ report: HealthReport, _ listing: DeviceListing) -> String {
        var lines = [
            "\(report.name) \(report.version): \(report.status.rawValue.uppercased()) (\(report.message))", "",
        ]
        let known = ["mqtt", "influxdb", "buffer"]
        for name in known + report.checks.keys.filter({ !known.contains($0) }).sorted() {
            guard let check = report.checks[name] else { continue }
            let version = check.version.map { " (version \(printable($0)))" } ?? ""
            lines.append(
                "  \(pad(name, 10)) \(pad(check.status.rawValue, 5)) \(printable(check.message))\(version)"
            )
        }
        lines.append("")
        lines += figures(report.bridge)
        lines += devices(listing)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func figures(_ figures: BridgeFigures) -> [String] {
        let fill =
            figures.bufferCapacityBytes > 0
            ? Double(figures.bufferedBytes) / Double(figures.bufferCapacityBytes) * 100 : 0
        let age = figures.oldestPointAgeSeconds.map { "\(duration($0)) (oldest buffered point)" } ?? "none buffered"
        return [
            "  rates      over the last \(duration(figures.rateWindowSeconds)): "
                + "\(decimal(figures.messagesPerSecond)) messages/s, "
                + "\(decimal(figures.pointsWrittenPerSecond)) points written/s, "
                + "\(decimal(figures.messagesRefusedPerSecond)) refused/s",
            "  buffer     \(figures.bufferedPoints) points, \(bytes(figures.bufferedBytes)) of "
                + "\(bytes(figures.bufferCapacityBytes)) (\(decimal(fill))% full)",
            "  lag        \(age)",
            "  devices    \(figures.devicesSeen) seen, \(figures.devicesStale) silent for over "
                + duration(figures.staleAfterSeconds),
        ]
    }

    private static func devices(_ listing: DeviceListing) -> [String] {
        guard !listing.devices.isEmpty else {
            return ["", "No device silent for over \(duration(listing.staleAfterSeconds))."]
        }
        let shown = listing.devices.prefix(maxDevicesShown)
        let width = min(40, max(9, shown.map { printable($0.deviceID).count }.max() ?? 0))
        var lines = [
            "",
            "Silent for over \(duration(listing.staleAfterSeconds)) (\(listing.devices.count), longest first):",
            "  \(pad("DEVICE", width)) \(pad("LAST SEEN", 24)) SILENT",
        ]
        for device in shown {
            lines.append(
                "  \(pad(printable(device.deviceID), width)) \(pad(printable(device.lastSeen), 24)) "
                    + duration(device.silentSeconds)
            )
        }
        if listing.devices.count > shown.count {
            lines.append("  … and \(listing.devices.count - shown.count) more (GET /devices lists them all)")
        }
        return lines
    }

    /// `text` with control characters shown as `?`: device ids come from MQTT topics, and a
    /// terminal must not take escape sequences from them.
    static func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 })
        )
    }

    /// `text` padded with spaces to `width` characters (never cut).
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// Seconds as a person reads them: `42s`, `5m 3s`, `2h 5m`, `3d 4h`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let whole = Int(seconds.rounded())
        switch whole {
        case ..<60: return "\(whole)s"
        case ..<3600: return whole % 60 == 0 ? "\(whole / 60)m" : "\(whole / 60)m \(whole % 60)s"
        case ..<86400: return "\(whole / 3600)h \(whole % 3600 / 60)m"
        default: return "\(whole / 86400)d \(whole % 86400 / 3600)h"
        }
    }

    /// Bytes in B, KiB, MiB or GiB with one decimal.
    static func bytes(_ count: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard count >= 1024 else { return "\(count) B" }
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return "\(decimal(value)) \(units[unit])"
    }

    /// One decimal, rounded half away from zero (`12.5`, `0.0`), without Foundation.
    static func decimal(_ value: Double) -> String {
        guard value.isFinite else { return "?" }
        let tenths = Int((abs(value) * 10).rounded())
        return "\(value < 0 && tenths != 0 ? "-" : "")\(tenths / 10).\(tenths % 10)"
    }
}
