// swift-tools-version: 6.0
// Kiln: a graph-compiled deep-learning framework for Linux CPUs.
// Module order (dependencies only point down): COpenBLAS → KilnIR → KilnKernels → KilnOps → KilnPasses
// → KilnRuntime → Kiln → KilnData → KilnZoo → zoo. See docs/architecture.md.
import Foundation
import PackageDescription

/// Release code is compiled for the CPU that builds it, as `-march=native` would: where the build machine has
/// AVX2 and FMA, `-target-cpu haswell` lets the SIMD16<Float> kernels use 256-bit registers and fused
/// multiply-adds (otherwise Swift targets baseline x86-64, i.e. SSE2). `KILN_PORTABLE=1` builds for baseline
/// x86-64, for binaries that must run on older CPUs.
func hostCPUFlags() -> [String] {
    #if arch(x86_64) && os(Linux)
    guard ProcessInfo.processInfo.environment["KILN_PORTABLE"] == nil,
          let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    let flags = Set(flagsLine.split(separator: " ").map(String.init))
    return flags.isSuperset(of: ["avx2", "fma"]) ? ["-target-cpu", "haswell"] : []
    #else
    return []
    #endif
}

let release: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"] + hostCPUFlags(), .when(configuration: .release))]

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
