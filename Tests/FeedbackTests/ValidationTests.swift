import Testing
@testable import Feedback

@Suite struct PageNormalizerTests {
    @Test(arguments: [
        ("https://docs.example.com/auth#tokens", "https://docs.example.com/auth"),
        ("HTTPS://Docs.Example.COM/auth/", "https://docs.example.com/auth"),
        ("https://docs.example.com:443/auth?x=1", "https://docs.example.com/auth"),
        ("http://docs.example.com:80/a//b/", "http://docs.example.com/a/b"),
        ("http://docs.example.com:8080/a", "http://docs.example.com:8080/a"),
        ("https://docs.example.com/guide/index.html", "https://docs.example.com/guide"),
        ("https://docs.example.com", "https://docs.example.com/"),
        ("https://user:pw@docs.example.com/x", "https://docs.example.com/x"),
        ("/guide/auth/", "/guide/auth"),
        ("/", "/"),
        ("/a%2fb", "/a%2Fb"),
        ("/caf\u{e9}", "/caf\u{e9}"),
    ])
    func normalizes(_ input: String, _ expected: String) throws {
        #expect(try PageNormalizer().normalize(input) == expected)
    }

    @Test(arguments: ["", "docs/auth", "ftp://x/y", "javascript:alert(1)", "https:///path", "/a b", "https://exa mple.com/", "//evil.com/x", "/a\u{0}b"])
    func rejects(_ input: String) {
        #expect(throws: PageNormalizer.Failure.self) { try PageNormalizer().normalize(input) }
    }

    @Test(arguments: [
        ("https://docs.example.com/auth", "docs.example.com"),
        ("https://docs.example.com/", "docs.example.com"),
        ("http://docs.example.com:8080/a/b", "docs.example.com:8080"),
        ("https://d\u{f6}cs.example.com/caf\u{e9}", "d\u{f6}cs.example.com"),
        ("https://docs.example.com", "docs.example.com"),
    ] as [(String, String)])
    func hostOfANormalizedPage(_ page: String, _ host: String) {
        #expect(PageNormalizer.host(ofNormalized: page) == host)
    }

    @Test func pathOnlyPagesHaveNoHost() {
        #expect(PageNormalizer.host(ofNormalized: "/guide/auth") == nil)
        #expect(PageNormalizer.host(ofNormalized: "/a:b/c") == nil)
        #expect(PageNormalizer.host(ofNormalized: "") == nil)
    }

    @Test func keepsQueryWhenAsked() throws {
        #expect(try PageNormalizer(keepQuery: true).normalize("https://a.com/x?v=2#f") == "https://a.com/x?v=2")
    }

    @Test func hostOfNormalizedPage() {
        #expect(PageNormalizer.host(ofNormalized: "https://docs.example.com/a") == "docs.example.com")
        #expect(PageNormalizer.host(ofNormalized: "/a") == nil)
    }
}

@Suite struct ValidationTests {
    let validator = FeedbackValidator()

    func input(_ fields: [String: FieldValue]) -> FeedbackInput { FeedbackInput(fields: fields) }

    func failure(_ fields: [String: FieldValue]) -> ValidationError? {
        do {
            _ = try validator.validate(input(fields))
            return nil
        } catch {
            return error
        }
    }

    @Test func acceptsAFullSubmission() throws {
        let feedback = try validator.validate(FeedbackInput(fields: [
            "page": .text("https://Docs.example.com/auth#tokens"), "rating": .text("down"), "reason": .text("outdated"),
            "comment": .text("  token example\r\nis stale\u{7}  "), "source": .text("Portal"),
            "labels": .object(["api": .text("payments"), "version": .number("2"), "beta": .bool(true)]),
            "email": .text("Reader@Example.COM"), "unknown": .text("ignored"),
        ], userAgent: "curl/8", clientAddress: "10.0.0.1"))
        #expect(feedback.pageKey == "https://docs.example.com/auth")
        #expect(feedback.page == "https://Docs.example.com/auth#tokens")
        #expect(feedback.rating == .down)
        #expect(feedback.comment == "token example\nis stale")
        #expect(feedback.source == "portal")
        #expect(feedback.labels.map(\.key) == ["api", "beta", "version"])
        #expect(feedback.labels.map(\.value) == ["payments", "true", "2"])
        #expect(feedback.email == "Reader@example.com")
    }

    @Test func defaultsSourceAndDropsEmptyOptionals() throws {
        let feedback = try validator.validate(input(["page": .text("/a"), "rating": .text("UP"), "comment": .text("   "), "reason": .text("")]))
        #expect(feedback.source == "docs")
        #expect(feedback.comment == nil)
        #expect(feedback.reason == nil)
        #expect(feedback.rating == .up)
    }

    @Test(arguments: [
        (["rating": FieldValue.text("up")], "page", "is required"),
        (["page": .text("/a")], "rating", "is required"),
        (["page": .number("3"), "rating": .text("up")], "page", "must be a string, not number"),
        (["page": .text("not a url"), "rating": .text("up")], "page", "must be an absolute http(s) URL or a path starting with /"),
        (["page": .text("/" + String(repeating: "a", count: 2048)), "rating": .text("up")], "page", "must be at most 2048 characters"),
        (["page": .text("/a"), "rating": .text("meh")], "rating", "must be \"up\" or \"down\""),
        (["page": .text("/a"), "rating": .bool(true)], "rating", "must be a string, not boolean"),
        (["page": .text("/a"), "rating": .text("up"), "reason": .text("because")], "reason", ""),
        (["page": .text("/a"), "rating": .text("up"), "comment": .text(String(repeating: "x", count: 4001))], "comment", "must be at most 4000 characters"),
        (["page": .text("/a"), "rating": .text("up"), "source": .text("has space")], "source", ""),
        (["page": .text("/a"), "rating": .text("up"), "labels": .text("x")], "labels", "must be an object of string pairs, not string"),
        (["page": .text("/a"), "rating": .text("up"), "labels": .object(["k": .object([:])])], "labels.k", "must be a string, not object"),
        (["page": .text("/a"), "rating": .text("up"), "labels": .object(["bad key": .text("v")])], "labels.bad key", ""),
        (["page": .text("/a"), "rating": .text("up"), "labels": .object(Dictionary(uniqueKeysWithValues: (0..<17).map { ("k\($0)", FieldValue.text("v")) }))], "labels", "must have at most 16 entries"),
        (["page": .text("/a"), "rating": .text("up"), "email": .text("not-an-email")], "email", "must be a valid email address"),
        (["page": .text("/a"), "rating": .text("up"), "email": .text("a@b")], "email", "must be a valid email address"),
    ] as [([String: FieldValue], String, String)])
    func rejects(_ fields: [String: FieldValue], _ field: String, _ message: String) {
        let error = failure(fields)
        #expect(error?.field == field)
        if !message.isEmpty { #expect(error?.message == message) }
    }

    @Test func commentLengthCountsCharactersNotBytes() throws {
        let comment = String(repeating: "é", count: 4000)
        let feedback = try validator.validate(input(["page": .text("/a"), "rating": .text("up"), "comment": .text(comment)]))
        #expect(feedback.comment?.count == 4000)
    }

    @Test func customReasons() throws {
        var rules = FeedbackRules()
        rules.reasons = ["typo"]
        let validator = FeedbackValidator(rules: rules)
        #expect(try validator.validate(input(["page": .text("/a"), "rating": .text("down"), "reason": .text("typo")])).reason == "typo")
        #expect(throws: ValidationError.self) { try validator.validate(input(["page": .text("/a"), "rating": .text("down"), "reason": .text("outdated")])) }
    }

    @Test func controlAndBidiCharactersAreRemovedFromComments() {
        #expect(FeedbackValidator.cleanComment("a\u{0}b\u{202E}c\td\r\ne") == "abc\td\ne")
    }
}
