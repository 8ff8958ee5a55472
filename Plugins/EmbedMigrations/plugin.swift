import Foundation
import PackagePlugin

/// Embeds every `migrations/*.sql` file of the package into the target as Swift source
/// (`EmbeddedMigrations`), and every `migrations/postgres/*.sql` file as `EmbeddedPostgresMigrations`,
/// so the binary carries its schema for both backends and runs from any directory.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let folder = context.package.directoryURL.appendingPathComponent("migrations")
        return try [
            embed(folder, as: "EmbeddedMigrations", context: context),
            embed(folder.appendingPathComponent("postgres"), as: "EmbeddedPostgresMigrations", context: context),
        ]
    }

    private func embed(_ folder: URL, as name: String, context: PluginContext) throws -> Command {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        let inputs = names.map { folder.appendingPathComponent($0) }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("\(name).swift")
        return .buildCommand(
            displayName: "Embedding \(names.count) migrations as \(name)",
            executable: try context.tool(named: "embed-migrations").url,
            arguments: [output.path, name] + inputs.map(\.path),
            inputFiles: inputs,
            outputFiles: [output]
        )
    }
}
