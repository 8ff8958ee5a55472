import Foundation
import PackagePlugin

/// Embeds `openapi/openapi.json` into the target, so the binary serves its API description.
@main
struct EmbedOpenAPI: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let input = context.package.directoryURL.appendingPathComponent("openapi/openapi.json")
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedOpenAPI.swift")
        return [
            .buildCommand(
                displayName: "Embedding openapi.json",
                executable: try context.tool(named: "embed-migrations").url,
                arguments: [output.path, "EmbeddedOpenAPI", input.path],
                inputFiles: [input],
                outputFiles: [output]
            ),
        ]
    }
}
