import Testing
@testable import HTTP

@Suite struct RouterTests {
    func router() -> Router {
        var router = Router()
        router.get("/v1/feedback") { _, _ in }
        router.post("/v1/feedback") { _, _ in }
        router.get("/v1/feedback/:id") { _, _ in }
        return router
    }

    @Test func bindsParameters() {
        guard case .found(let route, let parameters) = router().lookup(method: "GET", path: "/v1/feedback/42") else {
            Issue.record("no match")
            return
        }
        #expect(route.pattern == "/v1/feedback/:id")
        #expect(parameters["id"] == "42")
    }

    @Test func decodesPercentEscapesInParameters() {
        guard case .found(_, let parameters) = router().lookup(method: "GET", path: "/v1/feedback/a%20b") else {
            Issue.record("no match")
            return
        }
        #expect(parameters["id"] == "a b")
    }

    @Test func methodNotAllowedListsAllowedMethods() {
        guard case .methodNotAllowed(let allowed) = router().lookup(method: "DELETE", path: "/v1/feedback") else {
            Issue.record("expected 405")
            return
        }
        #expect(Set(allowed) == ["GET", "POST", "HEAD", "OPTIONS"])
    }

    @Test func headFallsBackToGet() {
        guard case .found(let route, _) = router().lookup(method: "HEAD", path: "/v1/feedback") else {
            Issue.record("no match")
            return
        }
        #expect(route.method == "GET")
    }

    @Test func unknownPathIsNotFound() {
        guard case .notFound = router().lookup(method: "GET", path: "/nope") else {
            Issue.record("expected 404")
            return
        }
    }

    @Test func malformedEscapeDoesNotMatchParameter() {
        guard case .notFound = router().lookup(method: "GET", path: "/v1/feedback/%zz") else {
            Issue.record("expected no match")
            return
        }
    }
}

@Suite struct SmallPartsTests {
    @Test func httpDateFormatsKnownInstants() {
        #expect(HTTPDate.format(epochSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(epochSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(epochSeconds: 951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
    }

    @Test func formDecoding() {
        let pairs = FormDecoding.pairs("a=1&b=x+y&c=%41%42&d", strict: true)
        #expect(pairs?.map(\.name) == ["a", "b", "c", "d"])
        #expect(pairs?.map(\.value) == ["1", "x y", "AB", ""])
        #expect(FormDecoding.pairs("a=%zz", strict: true) == nil)
        #expect(FormDecoding.pairs("a=%ff", strict: true) == nil) // not UTF-8
    }

    @Test func errorBodyEscapesJSON() {
        let response = Response.error(.badRequest, code: "x", message: "a \"quoted\" <tag>\n", field: "f")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"error":{"code":"x","message":"a \"quoted\" \u003ctag>\n","field":"f"}}"#)
    }
}
