import Foundation
import Testing

/// The README is a front page that links into docs/; a moved or renamed section must not leave a
/// dead link behind. Every relative link (and image) in README.md and docs/*.md must name a file
/// that exists, and a `#fragment` must name a heading of that file (GitHub's anchor rules).
@Suite struct DocsLinkTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func documents() throws -> [URL] {
        let docs = root.appendingPathComponent("docs")
        let names = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }
        return [root.appendingPathComponent("README.md")] + names.sorted().map { docs.appendingPathComponent($0) }
    }

    @Test func everyRelativeLinkResolves() throws {
        let files = try Self.documents()
        #expect(files.count > 5)
        var checked = 0
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for target in MarkdownLinks.targets(in: text) {
                guard !target.contains("://"), !target.hasPrefix("mailto:") else { continue }
                checked += 1
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                let path = String(parts[0])
                let destination = path.isEmpty ? file : file.deletingLastPathComponent().appendingPathComponent(path).standardized
                #expect(FileManager.default.fileExists(atPath: destination.path), "\(file.lastPathComponent): \(target)")
                if parts.count == 2, destination.pathExtension == "md",
                   let linked = try? String(contentsOf: destination, encoding: .utf8) {
                    #expect(MarkdownLinks.anchors(in: linked).contains(String(parts[1])),
                            "\(file.lastPathComponent): \(target) names no heading")
                }
            }
        }
        #expect(checked > 10)
    }

    @Test func linkExtractionAndAnchorsFollowGitHub() {
        let text = "# The team's query API\n```\n[not](a-link.md)\n```\nSee [x](api.md#errors) and ![s](docs/a.png).\n### Insights: method and limits\n"
        #expect(MarkdownLinks.targets(in: text) == ["api.md#errors", "docs/a.png"])
        #expect(MarkdownLinks.anchors(in: text) == ["the-teams-query-api", "insights-method-and-limits"])
    }
}

enum MarkdownLinks {
    /// Targets of `[text](target)` and `![alt](target)` outside fenced code blocks.
    static func targets(in text: String) -> [String] {
        var found: [String] = []
        var fenced = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { fenced.toggle(); continue }
            if fenced { continue }
            var rest = Substring(line)
            while let open = rest.range(of: "](") {
                let after = rest[open.upperBound...]
                guard let close = after.firstIndex(of: ")") else { break }
                let target = after[..<close].split(separator: " ").first.map(String.init) ?? ""
                if !target.isEmpty { found.append(target) }
                rest = after[after.index(after: close)...]
            }
        }
        return found
    }

    /// GitHub's heading anchors: lower-cased, punctuation other than `-` and `_` dropped, spaces as `-`.
    static func anchors(in text: String) -> [String] {
        var found: [String] = []
        var fenced = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { fenced.toggle(); continue }
            guard !fenced, line.hasPrefix("#") else { continue }
            let title = line.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces).lowercased()
            let kept = title.unicodeScalars.filter {
                CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" || $0 == " "
            }
            found.append(String(String.UnicodeScalarView(kept)).replacingOccurrences(of: " ", with: "-"))
        }
        return found
    }
}
