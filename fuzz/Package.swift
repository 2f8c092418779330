// swift-tools-version:6.0
// Adjoint's libFuzzer target, a package of its own: `--sanitize=fuzzer` builds every executable
// of a package and the tools of its plugins with libFuzzer's `main`, so inside the root package
// it also rebuilt (and failed to link) the `adjoint` tool of the build plugin. Here the graph is
// the compiler's library alone. Built and run by Scripts/fuzz.sh.
import PackageDescription

let package = Package(
    name: "AdjointFuzz",
    products: [
        .executable(name: "adjoint-fuzz", targets: ["adjoint-fuzz"]),
    ],
    dependencies: [
        .package(name: "Adjoint", path: ".."),
    ],
    targets: [
        .executableTarget(name: "adjoint-fuzz",
                          dependencies: [.product(name: "AdjointDriver", package: "Adjoint")],
                          path: "Sources/adjoint-fuzz"),
    ]
)
