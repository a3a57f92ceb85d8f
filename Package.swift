// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "samspar",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "samspar", targets: ["samspar"]),
        .library(name: "SamsparDomain", targets: ["SamsparDomain"]),
        .library(name: "SamsparStore", targets: ["SamsparStore"]),
        // libFuzzer harnesses (issue 21): static libraries that scripts/fuzz links with
        // `swiftc -sanitize=fuzzer,address` (SwiftPM renames an executable's main, which
        // libFuzzer must provide; WasmKit's FuzzTesting does the same).
        .library(name: "FuzzCSV", type: .static, targets: ["FuzzCSV"]),
        .library(name: "FuzzIdentity", type: .static, targets: ["FuzzIdentity"]),
        .library(name: "FuzzAgreementJSON", type: .static, targets: ["FuzzAgreementJSON"]),
        .library(name: "FuzzForms", type: .static, targets: ["FuzzForms"]),
        .library(name: "FuzzHeaders", type: .static, targets: ["FuzzHeaders"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", exact: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // The ID token of an organisation's identity provider (issue 25): JWS and JWKS.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
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
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // What the web takes from outside before it means anything: multipart and urlencoded
        // forms, X-Forwarded-For, Accept-Language, return addresses. Foundation only, so the
        // fuzz harnesses build without the server (issue 21).
        .target(name: "SamsparWire"),
        // `samspar serve`: the HTTP API, sign-in, roles, consent and the audit log.
        .target(
            name: "SamsparWeb",
            dependencies: [
                "SamsparDomain",
                "SamsparStore",
                "SamsparWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources")]
        ),
        // The executable: argument parsing and wiring only.
        .executableTarget(
            name: "samspar",
            dependencies: [
                "SamsparDomain",
                "SamsparStore",
                "SamsparWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "FuzzCSV", dependencies: ["SamsparDomain"], path: "Fuzz/FuzzCSV"),
        .target(name: "FuzzIdentity", dependencies: ["SamsparDomain"], path: "Fuzz/FuzzIdentity"),
        .target(name: "FuzzAgreementJSON", dependencies: ["SamsparDomain"], path: "Fuzz/FuzzAgreementJSON"),
        .target(name: "FuzzForms", dependencies: ["SamsparWire"], path: "Fuzz/FuzzForms"),
        .target(
            name: "FuzzHeaders",
            dependencies: [
                "SamsparWire", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdCore", package: "hummingbird"),
            ], path: "Fuzz/FuzzHeaders"),
        .testTarget(
            name: "SamsparDomainTests",
            dependencies: [
                "SamsparDomain",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        // What the store and web tests share: the engines they run on.
        .target(
            name: "SamsparTestSupport",
            dependencies: ["SamsparStore", "SamsparWire"],
            path: "Tests/SamsparTestSupport"
        ),
        .testTarget(
            name: "SamsparStoreTests",
            dependencies: ["SamsparStore", "SamsparDomain", "SamsparTestSupport"]
        ),
        .testTarget(
            name: "SamsparWebTests",
            dependencies: [
                "SamsparWeb", "SamsparStore", "SamsparDomain", "SamsparWire", "SamsparTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // Read from the source tree by PageSnapshotTests, not bundled.
            exclude: ["Snapshots"]
        ),
        .testTarget(
            name: "samsparTests",
            // Crypto for the tests' own TOTP (RFC 6238), written apart from the server's.
            // SamsparTestSupport for the folder the tests' files go in (TestFiles).
            dependencies: ["SamsparDomain", "SamsparTestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
