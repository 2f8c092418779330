// The build plugin: every `.adj` file of a target becomes Swift at build time.
//
// It only resolves the `adjoint` tool and returns commands (as swift-format's plugins
// do): one build command per `.adj` file, with its input and output declared so
// builds stay incremental, and one that writes the runtime the generated files share.
import Foundation
import PackagePlugin

@main
struct AdjointBuildPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let adjoint = try context.tool(named: "adjoint").url
        let output = context.pluginWorkDirectoryURL
        var commands: [Command] = []
        for file in target.sourceFiles(withSuffix: "adj") {
            let swift = output.appendingPathComponent(file.url.deletingPathExtension().lastPathComponent + ".swift")
            commands.append(.buildCommand(
                displayName: "Compiling \(file.url.lastPathComponent) with Adjoint",
                executable: adjoint,
                arguments: ["compile", file.url.path, "--no-runtime", "-o", swift.path],
                inputFiles: [file.url],
                outputFiles: [swift]))
        }
        guard !commands.isEmpty else { return [] }
        let runtime = output.appendingPathComponent("AdjointRuntime.swift")
        commands.append(.buildCommand(
            displayName: "Writing the Adjoint runtime",
            executable: adjoint,
            arguments: ["compile", "--emit", "runtime", "-o", runtime.path],
            inputFiles: [],
            outputFiles: [runtime]))
        return commands
    }
}
