// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: journeys (command) → JourneysPipeline → JourneysReaders / JourneysIO → JourneysCore.
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "journeys",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "journeys", targets: ["journeys"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .target(name: "JourneysCore", swiftSettings: strict),
        .target(name: "JourneysIO", dependencies: ["CZlib", "JourneysCore"], swiftSettings: strict),
        .target(name: "JourneysReaders", dependencies: ["JourneysCore"], swiftSettings: strict),
        .target(name: "JourneysStages", dependencies: ["JourneysCore"], swiftSettings: strict),
        .target(name: "JourneysReports", dependencies: ["JourneysCore", "JourneysStages"], swiftSettings: strict),
        .target(name: "JourneysGenerator", dependencies: ["JourneysCore", "JourneysIO"], swiftSettings: strict),
        .target(name: "JourneysPipeline",
                dependencies: ["JourneysCore", "JourneysIO", "JourneysReaders", "JourneysStages", "JourneysReports", .product(name: "Yams", package: "Yams")],
                swiftSettings: strict),
        .executableTarget(name: "journeys",
                          dependencies: ["JourneysPipeline", "JourneysGenerator", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: strict),
        .testTarget(name: "JourneysCoreTests", dependencies: ["JourneysCore"], swiftSettings: strict),
        .testTarget(name: "JourneysIOTests", dependencies: ["JourneysIO"], swiftSettings: strict),
        .testTarget(name: "JourneysReadersTests", dependencies: ["JourneysReaders", "JourneysIO", "JourneysPipeline"], swiftSettings: strict),
        .testTarget(name: "JourneysStagesTests", dependencies: ["JourneysStages"], swiftSettings: strict),
        .testTarget(name: "JourneysReportsTests", dependencies: ["JourneysReports", "JourneysStages", "JourneysCore"], swiftSettings: strict),
        .testTarget(name: "JourneysPipelineTests", dependencies: ["JourneysPipeline", "JourneysGenerator", "JourneysIO"], swiftSettings: strict),
    ]
)
