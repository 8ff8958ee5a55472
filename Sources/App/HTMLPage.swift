import HTTP

/// Small, self-contained HTML pages (no external assets, every value escaped) for vote links.
enum HTMLPage {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A whole page with the shared style; `body` must already be escaped HTML.
    static func response(_ status: HTTPStatus, title: String, body: String, extraHeaders: [(String, String)] = []) -> Response {
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex, nofollow">
            <title>\(escape(title))</title>
            <style>
            :root { color-scheme: light dark; --accent: #2457c5; }
            body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem; }
            h1 { font-size: 1.4rem; }
            fieldset { border: 1px solid #8886; border-radius: 6px; margin: 1rem 0; }
            label { display: block; margin: .3rem 0; }
            textarea { width: 100%; box-sizing: border-box; min-height: 6rem; font: inherit; }
            button { font: inherit; padding: .45rem 1rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
            button.secondary { background: transparent; color: inherit; }
            button:focus-visible, input:focus-visible, textarea:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
            .hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
            .muted { opacity: .75; font-size: .9rem; }
            </style>
            </head>
            <body>
            <main>
            \(body)
            </main>
            </body>
            </html>

            """
        var response = Response(status: status, contentType: "text/html; charset=utf-8", body: html.utf8)
        response.headers.add("Cache-Control", "no-store")
        response.headers.add("X-Robots-Tag", "noindex, nofollow")
        response.headers.add("Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        response.headers.add("X-Content-Type-Options", "nosniff")
        response.headers.add("Referrer-Policy", "same-origin") // "no-referrer" would make form posts send `Origin: null`
        for (name, value) in extraHeaders { response.headers.add(name, value) }
        return response
    }

    /// A short page with a heading and a paragraph, for errors and confirmations.
    static func message(_ status: HTTPStatus, title: String, text: String, headers: [(String, String)] = []) -> Response {
        response(status, title: title, body: "<h1>\(escape(title))</h1>\n<p role=\"status\">\(escape(text))</p>", extraHeaders: headers)
    }

    /// Hidden inputs for each (name, value).
    static func hidden(_ fields: [(String, String)]) -> String {
        fields.map { "<input type=\"hidden\" name=\"\(escape($0.0))\" value=\"\(escape($0.1))\">" }.joined(separator: "\n")
    }

    /// A field people never see and bots fill in.
    static func honeypot(_ name: String) -> String {
        "<div class=\"hp\" aria-hidden=\"true\"><label>Leave this empty <input type=\"text\" name=\"\(escape(name))\" tabindex=\"-1\" autocomplete=\"off\"></label></div>"
    }
}

/// Reasons shown after a vote: the ones that fit its direction, in the configured order.
enum ReasonChoices {
    static let positive: Set<String> = ["solved-my-problem", "easy-to-understand", "good-examples"]
    static let negative: Set<String> = ["inaccurate", "outdated", "missing-information", "hard-to-understand", "broken-example"]

    static func reasons(for rating: String, from all: [String]) -> [String] {
        all.filter { rating == "up" ? !negative.contains($0) : !positive.contains($0) }
    }

    /// `missing-information` → `Missing information`.
    static func label(_ reason: String) -> String {
        let words = reason.replacingDashes()
        return words.prefix(1).uppercased() + words.dropFirst()
    }
}

extension String {
    fileprivate func replacingDashes() -> String {
        String(map { $0 == "-" || $0 == "_" ? " " : $0 })
    }
}
