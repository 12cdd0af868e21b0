// swift-tools-version: 6.0
// Kiln: a graph-compiled deep-learning framework for Linux CPUs.
// Module order (dependencies only point down): COpenBLAS → KilnIR → KilnKernels → KilnOps → KilnPasses
// → KilnRuntime → Kiln → KilnData → KilnZoo → zoo. See docs/architecture.md.
import PackageDescription

let release: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "Kiln",
    products: [
        .library(name: "Kiln", targets: ["Kiln"]),
        .library(name: "KilnData", targets: ["KilnData"]),
        .library(name: "KilnZoo", targets: ["KilnZoo"]),
        .executable(name: "zoo", targets: ["zoo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries from Debian packages, installed by scripts/setup.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "KilnIR"),
        .target(name: "KilnKernels", dependencies: ["COpenBLAS"], swiftSettings: release),
        .target(name: "KilnOps", dependencies: ["KilnIR", "KilnKernels"], swiftSettings: release),
        .target(name: "KilnPasses", dependencies: ["KilnOps"], path: "Passes"),
        .target(name: "KilnRuntime", dependencies: ["KilnPasses"], swiftSettings: release),
        .target(name: "Kiln", dependencies: ["KilnRuntime"]),
        .target(name: "KilnData", dependencies: ["KilnKernels", "CTurboJPEG", "CPNG", "CZlib"], swiftSettings: release),
        .target(name: "KilnZoo", dependencies: ["Kiln", "KilnData"], path: "Models"),
        .executableTarget(name: "zoo", dependencies: [
            "KilnZoo", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "KilnIRTests", dependencies: ["KilnIR", "KilnOps"]),
        .testTarget(name: "KilnKernelsTests", dependencies: ["KilnKernels"]),
        .testTarget(name: "KilnOpsTests", dependencies: ["KilnOps", "KilnRuntime"]),
        .testTarget(name: "KilnPassesTests", dependencies: ["KilnPasses", "KilnRuntime", "KilnZoo"],
                    resources: [.copy("Golden")]),
        .testTarget(name: "KilnRuntimeTests", dependencies: ["KilnRuntime"]),
        .testTarget(name: "KilnTests", dependencies: ["Kiln"]),
        .testTarget(name: "KilnDataTests", dependencies: ["KilnData"], exclude: ["Fixtures"]),
        .testTarget(name: "KilnZooTests", dependencies: ["KilnZoo", "Kiln", "KilnRuntime"]),
    ],
    swiftLanguageModes: [.v5]
)
