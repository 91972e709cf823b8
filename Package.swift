// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: journeys (command) → JourneysPipeline → JourneysReaders / JourneysIO → JourneysCore.
// JourneysEngine holds all the work's concurrency (threads, ordered hand-overs, the parallel map); only
// JourneysPipeline and JourneysGenerator use it: readers, stages and reports are single-threaded code.
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "journeys",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "journeys", targets: ["journeys"]),
        .executable(name: "journeys-microbench", targets: ["journeys-microbench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .target(name: "JourneysCore", swiftSettings: strict),
        .target(name: "JourneysEngine", swiftSettings: strict),
        .target(name: "JourneysIO", dependencies: ["CZlib", "JourneysCore"], swiftSettings: strict),
        .target(name: "JourneysReaders", dependencies: ["JourneysCore"], swiftSettings: strict),
        .target(name: "JourneysStages", dependencies: ["JourneysCore"], swiftSettings: strict),
        .target(name: "JourneysReports", dependencies: ["JourneysCore", "JourneysStages"], swiftSettings: strict),
        .target(name: "JourneysGenerator", dependencies: ["JourneysCore", "JourneysEngine", "JourneysIO"], swiftSettings: strict),
        .target(name: "JourneysPipeline",
                dependencies: ["JourneysCore", "JourneysEngine", "JourneysIO", "JourneysReaders", "JourneysStages", "JourneysReports",
                               .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        .executableTarget(name: "journeys",
                          dependencies: ["JourneysPipeline", "JourneysGenerator", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: strict),
        // Fuzz targets (readers, gzip + lines, pipeline files): `make fuzz` builds journeys-fuzz with
        // -sanitize=fuzzer,address; its main calls libFuzzer's LLVMFuzzerRunDriver.
        .target(name: "JourneysFuzzTargets", dependencies: ["JourneysCore", "JourneysIO", "JourneysReaders", "JourneysPipeline"], swiftSettings: strict),
        .target(name: "CFuzzDriver"),
        .executableTarget(name: "journeys-fuzz", dependencies: ["JourneysFuzzTargets", "CFuzzDriver"], path: "Sources/JourneysFuzz", swiftSettings: strict),
        // Microbenchmarks of the hot paths (`make microbench`); CAllocCount counts heap allocations.
        .target(name: "CAllocCount"),
        .executableTarget(name: "journeys-microbench",
                          dependencies: ["CAllocCount", "JourneysCore", "JourneysIO", "JourneysReaders", "JourneysStages",
                                         "JourneysPipeline", "JourneysGenerator"],
                          swiftSettings: strict),
        .testTarget(name: "JourneysCoreTests", dependencies: ["JourneysCore"], swiftSettings: strict),
        .testTarget(name: "JourneysIOTests", dependencies: ["JourneysIO"], swiftSettings: strict),
        .testTarget(name: "JourneysReadersTests", dependencies: ["JourneysReaders", "JourneysIO", "JourneysPipeline", "JourneysFuzzTargets"], swiftSettings: strict),
        .testTarget(name: "JourneysEngineTests", dependencies: ["JourneysEngine"], swiftSettings: strict),
        .testTarget(name: "JourneysStagesTests", dependencies: ["JourneysStages", "JourneysEngine"], swiftSettings: strict),
        .testTarget(name: "JourneysReportsTests", dependencies: ["JourneysReports", "JourneysStages", "JourneysCore"], swiftSettings: strict),
        .testTarget(name: "JourneysPipelineTests", dependencies: ["JourneysPipeline", "JourneysGenerator", "JourneysIO"], swiftSettings: strict),
    ]
)
