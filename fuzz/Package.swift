// swift-tools-version:6.0
// A separate package so `--sanitize fuzzer` instruments the parser (its sources are linked in
// from ../Sources) without touching the main package's build tools, which must keep their main.
import PackageDescription

let package = Package(
    name: "HearkenFuzz",
    dependencies: [.package(url: "https://github.com/apple/swift-log", from: "1.6.0")],
    targets: [
        .target(name: "CNet"),
        .target(name: "HTTP", dependencies: ["CNet", .product(name: "Logging", package: "swift-log")]),
        // Only the submitted-field types of the Feedback module, which the JSON parser produces.
        .target(name: "Feedback", path: "Sources/FeedbackFields"),
        .executableTarget(name: "fuzz-http", dependencies: ["HTTP", "Feedback"]),
    ],
    swiftLanguageModes: [.v6]
)
