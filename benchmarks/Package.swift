// swift-tools-version:6.0
// Adjoint's benchmark suite (issue #9), a package of its own so that its heavy parts (Swift's
// built-in differentiation, the generated workloads, the compile-throughput driver) stay out of
// the compiler's build. Run from the repository root:
//
//   swift run -c release --package-path benchmarks adjoint-bench [--json]
//
// Sources/adjoint-bench/Generated/ is what benchmarks/generate.sh writes with the Adjoint CLI
// from benchmarks/workloads/*.adj (committed, so the suite builds without the compiler).
import PackageDescription

let package = Package(
    name: "AdjointBenchmarks",
    products: [
        .executable(name: "adjoint-bench", targets: ["adjoint-bench"]),
    ],
    targets: [
        // One module: the generated workloads, their runtime, the hand-written and the Swift AD
        // versions, all built with -O and whole-module optimization (what `-c release` does), as
        // `adjoint run` builds generated programs.
        .executableTarget(name: "adjoint-bench", path: "Sources/adjoint-bench"),
    ]
)
