// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "samspar",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "samspar", targets: ["samspar"]),
        .library(name: "SamsparDomain", targets: ["SamsparDomain"]),
        .library(name: "SamsparStore", targets: ["SamsparStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // Values, entities and the rules of SPEC §3. Foundation only: no I/O, no clock.
        .target(
            name: "SamsparDomain",
            resources: [.copy("Resources")]
        ),
        // One storage interface, two engines (SQLite embedded, PostgreSQL).
        .target(
            name: "SamsparStore",
            dependencies: [
                "SamsparDomain",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The executable: argument parsing and wiring only.
        .executableTarget(
            name: "samspar",
            dependencies: [
                "SamsparDomain",
                "SamsparStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SamsparDomainTests",
            dependencies: [
                "SamsparDomain",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "SamsparStoreTests",
            dependencies: ["SamsparStore", "SamsparDomain"]
        ),
        .testTarget(
            name: "samsparTests",
            dependencies: ["SamsparDomain"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
