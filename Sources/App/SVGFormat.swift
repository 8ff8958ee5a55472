import HTTP

/// `format=svg` on the chartable stats endpoints: a standalone `image/svg+xml` chart a team can put in
/// a wiki page or a chat message, sized by `width` and `height`.
enum SVGFormat {
    static let names: Set<String> = ["width", "height"]

    static func requested(_ request: Request) -> Bool { request.queryValue("format")?.lowercased() == "svg" }

    /// The chart's size; `width`/`height` without `format=svg` are refused, so a typo never goes unnoticed.
    static func chart(_ request: Request, _ params: QueryParameters) throws(APIError) -> SVGChart? {
        guard requested(request) else {
            for name in names where params.string(name) != nil { throw APIError.parameter(name, "applies only with format=svg") }
            return nil
        }
        return SVGChart(width: try params.integer("width", default: 720, range: 200...4000),
                        height: try params.integer("height", default: 300, range: 100...3000), standalone: true)
    }

    static func response(_ svg: String) -> Response {
        var response = Response(status: .ok, contentType: "image/svg+xml; charset=utf-8", body: svg.utf8)
        // Opened on its own, the document may use its own <style> element and nothing else.
        response.headers.add("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        response.headers.add("X-Content-Type-Options", "nosniff")
        return response
    }
}
