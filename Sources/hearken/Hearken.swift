import ArgumentParser

@main
struct Hearken: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hearken",
        abstract: "Self-hosted feedback service for developer documentation.",
        subcommands: [Serve.self, Migrate.self, TokenCommand.self, Seed.self, Backup.self, Check.self, Export.self, Import.self, Healthcheck.self, Annotate.self, WebhookCommand.self]
    )
}
