// swift-tools-version: 6.2
// iotflow-bridge: MQTT → InfluxDB bridge daemon.
// SPDX-License-Identifier: Apache-2.0

import PackageDescription

let package = Package(
    name: "iotflow-bridge",
    products: [
        .executable(name: "iotflow-bridge", targets: ["iotflow-bridge"]),
        .executable(name: "iotflow-sim", targets: ["iotflow-sim"]),
        // For the fuzzing package in Fuzz/, which builds it with the libFuzzer sanitizer.
        .library(name: "BridgeCore", targets: ["BridgeCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: ["YAML"]),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: - C libraries (Debian -dev packages through pkg-config)
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Only for check-config's TLS file checks (PEM parsing, key against certificate).
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // sd_notify, sd_watchdog_enabled, sd_journal_sendv: readiness, the watchdog, journal fields.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // MARK: - Safe wrappers over the C libraries (no bridge logic)
        .target(name: "Mosquitto", dependencies: ["CMosquitto"]),
        .target(name: "Curl", dependencies: ["CCurl", "CZlib"]),

        // MARK: - Pure core and the daemon
        .target(name: "BridgeCore"),
        .target(
            name: "Bridge",
            dependencies: [
                "BridgeCore",
                "COpenSSL",
                "CSystemd",
                "Mosquitto",
                "Curl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "iotflow-bridge",
            dependencies: [
                "Bridge",
                "BridgeCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "iotflow-sim",
            dependencies: [
                "Mosquitto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Tests
        .target(
            name: "BridgeTestSupport",
            dependencies: ["CZlib"],
            path: "Tests/BridgeTestSupport"
        ),
        .testTarget(name: "BridgeCoreTests", dependencies: ["BridgeCore"]),
        .testTarget(
            name: "BridgeTests",
            dependencies: [
                "Bridge",
                "BridgeCore",
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "MosquittoTests", dependencies: ["Mosquitto", "BridgeTestSupport"]),
        .testTarget(name: "CurlTests", dependencies: ["Curl", "BridgeTestSupport"]),
        .testTarget(
            name: "BridgeIntegrationTests",
            dependencies: [
                "Bridge",
                "BridgeCore",
                "BridgeTestSupport",
                "Mosquitto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
