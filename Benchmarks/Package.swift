// swift-tools-version: 6.2
// iotflow-bridge: micro-benchmarks of the MQTT thread's pure work, run by scripts/bench.sh.
// SPDX-License-Identifier: Apache-2.0

import PackageDescription

let package = Package(
    name: "iotflow-benchmarks",
    dependencies: [.package(name: "iotflow-bridge", path: "..")],
    targets: [
        .executableTarget(
            name: "mapping-bench",
            dependencies: [.product(name: "BridgeCore", package: "iotflow-bridge")],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ],
            // BridgeCore rounds doubles (trunc, round); nothing else here pulls in libm.
            linkerSettings: [.linkedLibrary("m")]
        )
    ]
)
