// swift-tools-version:6.0
// Linear regression from scratch (D2L 3.2) with gradients that Adjoint generates at build time:
// the loss is `Sources/Model/loss.adj`, the build plugin turns it into Swift (`lossGradient`), and
// the training loop is plain Swift. A package of its own, using Adjoint as any other package would.
import PackageDescription

let package = Package(
    name: "LinearRegression",
    dependencies: [
        // `name:` fixes the package's identity. Without it, a path dependency is known by its folder's
        // name (a clone in `~/src/adjoint-main` would be "adjoint-main"), and `package: "Adjoint"` below
        // would not be found.
        .package(name: "Adjoint", path: "../.."),
    ],
    targets: [
        .target(name: "Model", path: "Sources/Model",
                plugins: [.plugin(name: "AdjointBuildPlugin", package: "Adjoint")]),
        .executableTarget(name: "LinearRegression", dependencies: ["Model"], path: "Sources/LinearRegression"),
        .testTarget(name: "ModelTests",
                    dependencies: ["Model", .product(name: "Adjoint", package: "Adjoint")],
                    path: "Tests/ModelTests"),
    ]
)
