import App
import ArgumentParser
import Feedback
import Foundation

struct Annotate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record a change to the docs (a deploy, a rewrite, a fixed example) on a page or a section.")
    @OptionGroup var database: TokenCommand.DatabaseOption
    @Option(help: "The page (URL or path) the change is on.") var page: String?
    @Option(help: "Every page starting with this (URL or path) instead of one page.") var pagePrefix: String?
    @Option(help: "What changed.") var note: String
    @Option(help: "A link to the change (pull request, commit, release).") var url: String?
    @Option(help: "When it went live: RFC 3339 or YYYY-MM-DD (default now).") var at: String?
    @Option(help: "Keep the query string of --page/--page-prefix, as `serve --keep-query` does: true or false (env HEARKEN_KEEP_QUERY, default false).")
    var keepQuery: String?

    func run() throws {
        let new: NewAnnotation
        var rules = FeedbackRules()
        rules.normalizer.keepQuery = try Settings.keepQuery.resolve(keepQuery, default: false)
        do {
            new = try CommandSupport.annotation(page: page, pagePrefix: pagePrefix, note: note, url: url, at: at, rules: rules)
        } catch let error as CommandSupport.Invalid {
            throw ValidationError(error.description)
        }
        let store = try database.open()
        defer { store.close() }
        let annotation = try store.write { try $0.createAnnotation(new) }
        print("annotation \(annotation.id) at \(Timestamp.rfc3339(milliseconds: annotation.at)) on \(annotation.page ?? (annotation.pagePrefix ?? "") + "*")")
    }
}

struct WebhookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Manage webhooks that receive findings, fix verdicts and weekly digests.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a webhook and print its signing secret.")
        @OptionGroup var database: TokenCommand.DatabaseOption
        @Option(help: "The receiver's http(s) URL.") var url: String
        @Option(help: "json (signed, Standard Webhooks) or slack (Slack/Mattermost incoming webhook).") var format: String
        @Option(help: "Comma-separated: finding, fix, digest (default all).") var events: String?
        @Option(help: "Signing secret whsec_<base64 of 24-64 bytes> (default: a new random one).") var secret: String?

        func run() throws {
            guard let format = WebhookFormat(rawValue: format.lowercased()) else { throw ValidationError("--format must be json or slack") }
            var chosen = WebhookEvent.allCases
            if let events {
                let names = events.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard !names.isEmpty, names.allSatisfy({ WebhookEvent(rawValue: $0) != nil }) else {
                    throw ValidationError("--events must be a comma-separated list of finding, fix, digest")
                }
                chosen = names.compactMap(WebhookEvent.init(rawValue:))
            }
            let store = try database.open()
            defer { store.close() }
            do {
                let webhook = try store.write { try $0.createWebhook(url: url, format: format, events: chosen, secret: secret) }
                print("webhook \(webhook.id): \(webhook.format.rawValue) to \(webhook.url) for \(webhook.events.map(\.rawValue).joined(separator: ","))")
                print("secret: \(webhook.secret)")
            } catch let error as WebhookError {
                throw ValidationError(error.description)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List webhooks (never their secrets).")
        @OptionGroup var database: TokenCommand.DatabaseOption

        func run() throws {
            let store = try database.open()
            defer { store.close() }
            for w in try store.read({ try $0.webhooks() }) {
                let state = w.disabledAt.map { "disabled \(Timestamp.rfc3339(milliseconds: $0)): \(w.disabledReason ?? "")" } ?? "enabled"
                print("\(w.id)\t\(w.format.rawValue)\t\(w.events.map(\.rawValue).joined(separator: ","))\t\(w.url)\t\(state)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a webhook and its pending deliveries.")
        @OptionGroup var database: TokenCommand.DatabaseOption
        @Argument(help: "The webhook's id.") var id: Int64

        func run() throws {
            let store = try database.open()
            defer { store.close() }
            guard try store.write({ try $0.deleteWebhook(id: id) }) else { throw ValidationError("no webhook with id \(id)") }
            print("removed webhook \(id)")
        }
    }
}
