// swift-tools-version:6.0
// Adjoint: a source-to-source differentiation compiler.
// The module list is the pipeline: Basic <- Syntax <- Sema <- Lowering -> IR <- Transforms,
// Interpreter runs IR, Exact adds GMP rationals to it, Driver glues the stages, AdjointCLI parses flags.
import PackageDescription

let package = Package(
    name: "Adjoint",
    products: [
        .executable(name: "adjoint", targets: ["AdjointCLI"]),
        .library(name: "AdjointDriver", targets: ["AdjointDriver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "AdjointBasic", path: "Sources/Basic"),
        .target(name: "AdjointSyntax", dependencies: ["AdjointBasic"], path: "Sources/Syntax"),
        .target(name: "AdjointSema", dependencies: ["AdjointBasic", "AdjointSyntax"], path: "Sources/Sema"),
        .target(name: "AdjointIR", dependencies: ["AdjointBasic"], path: "Sources/IR"),
        .target(name: "AdjointLowering",
                dependencies: ["AdjointBasic", "AdjointSyntax", "AdjointSema", "AdjointIR"],
                path: "Sources/Lowering"),
        .target(name: "AdjointTransforms", dependencies: ["AdjointBasic", "AdjointIR"], path: "Sources/Transforms"),
        .target(name: "AdjointInterpreter", dependencies: ["AdjointBasic", "AdjointIR"], path: "Sources/Interpreter"),
        .systemLibrary(name: "CGMP", path: "Sources/CGMP", pkgConfig: "gmp",
                       providers: [.apt(["libgmp-dev"])]),
        .target(name: "AdjointExact", dependencies: ["CGMP", "AdjointInterpreter"], path: "Sources/Exact"),
        .target(name: "AdjointDriver",
                dependencies: ["AdjointBasic", "AdjointSyntax", "AdjointSema", "AdjointIR", "AdjointLowering",
                               "AdjointTransforms", "AdjointInterpreter", "AdjointExact"],
                path: "Sources/Driver"),
        .executableTarget(name: "AdjointCLI",
                          dependencies: ["AdjointDriver",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/AdjointCLI"),
        .testTarget(name: "AdjointTests",
                    dependencies: ["AdjointDriver", "AdjointBasic", "AdjointSyntax", "AdjointSema", "AdjointIR",
                                   "AdjointLowering", "AdjointTransforms", "AdjointInterpreter", "AdjointExact"],
                    path: "Tests/AdjointTests",
                    exclude: ["Golden"]),
    ]
)
