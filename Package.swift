// swift-tools-version:6.0
// Adjoint: a source-to-source differentiation compiler.
// The module list is the pipeline: Basic <- Syntax <- Sema <- Lowering -> IR <- Transforms, IR <- Codegen,
// Interpreter runs IR over any Scalar, Exact is GMP rationals (a Scalar), Driver glues the stages,
// Adjoint is the library over the Driver, and AdjointCLI parses flags on that library alone.
import PackageDescription

let package = Package(
    name: "Adjoint",
    products: [
        .executable(name: "adjoint", targets: ["adjoint"]),
        .library(name: "Adjoint", targets: ["Adjoint"]),
        .library(name: "AdjointDriver", targets: ["AdjointDriver"]),
        .plugin(name: "AdjointBuildPlugin", targets: ["AdjointBuildPlugin"]),
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
        .target(name: "AdjointCodegen", dependencies: ["AdjointBasic", "AdjointIR"], path: "Sources/Codegen",
                resources: [.copy("Runtime/AdjointRuntime.swift"), .copy("Runtime/ExplainRuntime.swift")]),
        // The Scalar protocol: what the interpreter computes over, and what the exact rationals implement.
        .target(name: "AdjointScalar", path: "Sources/Scalar"),
        .target(name: "AdjointInterpreter", dependencies: ["AdjointBasic", "AdjointIR", "AdjointScalar"],
                path: "Sources/Interpreter"),
        .systemLibrary(name: "CGMP", path: "Sources/CGMP", pkgConfig: "gmp",
                       providers: [.apt(["libgmp-dev"])]),
        // A leaf: GMP rationals and the Scalar protocol, nothing of the compiler.
        .target(name: "AdjointExact", dependencies: ["CGMP", "AdjointScalar"], path: "Sources/Exact"),
        .target(name: "AdjointDriver",
                dependencies: ["AdjointBasic", "AdjointSyntax", "AdjointSema", "AdjointIR", "AdjointLowering",
                               "AdjointTransforms", "AdjointCodegen", "AdjointInterpreter", "AdjointExact"],
                path: "Sources/Driver"),
        // The `Adjoint` library (spec §11): Program, Value, gradient and check for a package's own tests.
        .target(name: "Adjoint", dependencies: ["AdjointDriver", "AdjointBasic", "AdjointInterpreter", "AdjointExact"],
                path: "Sources/Adjoint"),
        // The `adjoint` executable; its target has the executable's name so the build plugin can run it.
        .executableTarget(name: "adjoint",
                          dependencies: ["Adjoint",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/AdjointCLI"),
        .plugin(name: "AdjointBuildPlugin", capability: .buildTool(), dependencies: [.target(name: "adjoint")],
                path: "Plugins/AdjointBuildPlugin"),
        // The chapter as a Swift program whose .adj files the plugin compiles at build time.
        .executableTarget(name: "ChapterExample", path: "examples/Chapter",
                          plugins: [.plugin(name: "AdjointBuildPlugin")]),
        .testTarget(name: "AdjointTests",
                    dependencies: ["AdjointDriver", "AdjointBasic", "AdjointSyntax", "AdjointSema", "AdjointIR",
                                   "AdjointLowering", "AdjointTransforms", "AdjointCodegen", "AdjointInterpreter",
                                   "AdjointExact", "AdjointScalar", "Adjoint"],
                    path: "Tests/AdjointTests",
                    exclude: ["Golden", "Regressions"]),
    ]
)
