import HTTP

/// `GET /openapi.json`: the API description from `openapi/openapi.json`, embedded at build time.
enum OpenAPIRoutes {
    static var document: String { EmbeddedOpenAPI.files.first?.text ?? "{}" }

    static func register(in router: inout Router) {
        let body = Array(document.utf8)
        router.get("/openapi.json") { _, responder in
            var response = Response(status: .ok, contentType: "application/json", body: body)
            response.headers.add("Cache-Control", "public, max-age=300")
            responder.respond(response)
        }
    }
}
