// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "Hearken",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hearken", targets: ["hearken"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
    ],
    targets: [
        // System library: SQLite's C API from the distribution's libsqlite3-dev.
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // Linux socket calls Glibc's Swift module does not export (epoll, eventfd, accept4).
        .target(name: "CNet"),
        // Migration files' names, checksums and rules, shared by the SQLite and PostgreSQL migrators.
        .target(name: "SchemaMigrations", swiftSettings: strict),
        .target(name: "SQLite", dependencies: ["CSQLite", "SchemaMigrations"], swiftSettings: strict),
        // System library: libpq, PostgreSQL's C client, from the distribution's libpq-dev.
        .systemLibrary(name: "CPostgres", providers: [.apt(["libpq-dev"])]),
        // A thin client over libpq: connections, statements, transactions, bulk writes, migrations.
        .target(name: "Postgres", dependencies: ["CPostgres", "SchemaMigrations"], swiftSettings: strict),
        .target(
            name: "HTTP",
            dependencies: ["CNet", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .executableTarget(name: "embed-migrations", path: "Sources/EmbedMigrationsTool"),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["embed-migrations"]
        ),
        // Change detection and its statistics: daily series in, findings out (no SQL, no HTTP).
        .target(name: "Analytics", swiftSettings: strict),
        // Measures the detectors on simulated traffic (`make insight-eval`).
        .executableTarget(name: "insight-eval", dependencies: ["Analytics"], swiftSettings: strict),
        .target(
            name: "Feedback",
            dependencies: ["Analytics", "SQLite", "Postgres", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict,
            plugins: ["EmbedMigrations"]
        ),
        .plugin(
            name: "EmbedAssets",
            capability: .buildTool(),
            dependencies: ["embed-migrations"]
        ),
        .target(
            name: "App",
            dependencies: [
                "Analytics", "HTTP", "Feedback", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict,
            plugins: ["EmbedAssets"]
        ),
        .executableTarget(
            name: "hearken",
            dependencies: [
                "App", "Feedback", "HTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Helpers shared by the test targets: a raw-socket HTTP client and temporary folders.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "PostgresTests", dependencies: ["Feedback", "Postgres", "SQLite", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "AnalyticsTests", dependencies: ["Analytics"], swiftSettings: strict),
        .testTarget(name: "FeedbackTests", dependencies: ["Analytics", "Feedback", "SQLite", "Postgres", "TestSupport", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        .testTarget(name: "AppTests", dependencies: ["Analytics", "App", "HTTP", "Feedback", "Postgres", "SQLite", "TestSupport", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
