import HTTP

/// `GET /dashboard.css`: the dashboard's only stylesheet, embedded in the binary at build time. Its
/// path carries a content fingerprint, so it is cached for a year and a new build changes the URL.
enum DashboardAssets {
    static let css = Array((EmbeddedDashboardAssets.files.first { $0.name == "dashboard.css" }?.text ?? "").utf8)
    static let fingerprint = WidgetRoutes.fingerprint(css)
    static let cssPath = "/dashboard.css?v=" + fingerprint.prefix(12)

    static func register(in router: inout Router) {
        let etag = "\"" + fingerprint + "\""
        router.get("/dashboard.css") { request, responder in
            var response: Response
            if request.headers.tokens("if-none-match").contains(where: { $0 == etag || $0 == "W/" + etag || $0 == "*" }) {
                response = Response(status: .notModified)
            } else {
                response = Response(status: .ok, contentType: "text/css; charset=utf-8", body: css)
            }
            response.headers.add("ETag", etag)
            response.headers.add("Cache-Control", "public, max-age=31536000, immutable")
            DashboardPage.secure(&response, cacheable: true)
            responder.respond(response)
        }
    }
}
