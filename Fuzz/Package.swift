// swift-tools-version: 6.2
// iotflow-bridge: the libFuzzer targets over the mapping (topic + payload → line protocol) and over
// the write replies (status + body + Retry-After → WriteOutcome → BatchDelivery).
// SPDX-License-Identifier: Apache-2.0
//
// A package of its own so the main build never needs the sanitizer. SwiftPM builds BridgeCore with
// `-sanitize=fuzzer,address` (coverage instrumentation); scripts/fuzz.sh then links the target
// with swiftc itself, because SwiftPM renames an executable's entry point and libFuzzer brings
// its own `main`.

import PackageDescription

let package = Package(
    name: "iotflow-fuzz",
    dependencies: [.package(name: "iotflow-bridge", path: "..")],
    targets: [
        .target(
            name: "MappingFuzzTarget",
            dependencies: [.product(name: "BridgeCore", package: "iotflow-bridge")],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        ),
        .target(
            name: "ReplyFuzzTarget",
            dependencies: [.product(name: "BridgeCore", package: "iotflow-bridge")],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        ),
    ]
)
