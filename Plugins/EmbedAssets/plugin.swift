import Foundation
import PackagePlugin

/// Embeds `openapi/openapi.json`, `widget/widget.js` and `dashboard/dashboard.css` into the target, so the binary serves its
/// API description and the feedback widget without files beside it.
@main
struct EmbedAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let tool = try context.tool(named: "embed-migrations").url
        let assets: [(enumName: String, file: String)] = [
            ("EmbeddedOpenAPI", "openapi/openapi.json"),
            ("EmbeddedWidget", "widget/widget.js"),
            ("EmbeddedDashboardAssets", "dashboard/dashboard.css"),
        ]
        return assets.map { asset in
            let input = context.package.directoryURL.appendingPathComponent(asset.file)
            let output = context.pluginWorkDirectoryURL.appendingPathComponent("\(asset.enumName).swift")
            return .buildCommand(
                displayName: "Embedding \(asset.file)",
                executable: tool,
                arguments: [output.path, asset.enumName, input.path],
                inputFiles: [input],
                outputFiles: [output]
            )
        }
    }
}
