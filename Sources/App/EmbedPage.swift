import HTTP

/// `GET /embed`: how to put feedback on docs pages, with snippets that already hold this server's URL.
enum EmbedPage {
    static func response(base: String) -> Response {
        let example = "https://docs.example.com/guide/authentication"
        let encoded = "https%3A%2F%2Fdocs.example.com%2Fguide%2Fauthentication"
        let html = """
            <script src="\(base)/widget.js" async></script>
            <div data-hearken data-source="docs" data-labels="product=api,version=2"></div>
            """
        let markdown = """
            Was this page helpful?
            [👍 Yes](\(base)/v1/vote?page=\(encoded)&rating=up) ·
            [👎 No](\(base)/v1/vote?page=\(encoded)&rating=down)
            """
        let mkdocs = """
            # mkdocs.yml
            extra_javascript:
              - path: \(base)/widget.js
                async: true
            theme:
              name: material
              custom_dir: overrides

            <!-- overrides/main.html -->
            {% extends "base.html" %}
            {% block content %}
              {{ super() }}
              <div data-hearken data-source="docs" data-page="{{ page.canonical_url }}"></div>
            {% endblock %}
            """
        let docusaurus = """
            // docusaurus.config.js
            scripts: [{ src: '\(base)/widget.js', async: true }],

            // src/theme/DocItem/Footer/index.js (npm run swizzle @docusaurus/theme-classic DocItem/Footer -- --wrap)
            import Footer from '@theme-original/DocItem/Footer';
            export default function FooterWrapper(props) {
              return (<><Footer {...props} /><div data-hearken data-source="docs" /></>);
            }
            """
        let theming = """
            /* in your site's CSS */
            [data-hearken] {
              --hearken-accent: #0b7a53;
              --hearken-border: #d0d7de;
              --hearken-radius: 4px;
            }
            """
        let body = """
            <h1>Add feedback to your docs</h1>
            <p>Readers' votes, reasons and comments go to <code>\(HTMLPage.escape(base))</code>.</p>
            \(section("Widget (plain HTML)", "Put this where the question should appear. The script is small, sets no cookies and works under a Content-Security-Policy that allows this server in <code>script-src</code> and <code>connect-src</code>. Attributes: <code>data-page</code> (default: the page's URL), <code>data-source</code>, <code>data-labels</code> (<code>key=value,…</code>), and texts for translation: <code>data-text-question</code>, <code>data-text-yes</code>, <code>data-text-no</code>, <code>data-text-reason-up</code>, <code>data-text-reason-down</code>, <code>data-text-comment</code>, <code>data-text-send</code>, <code>data-text-skip</code>, <code>data-text-thanks</code>, <code>data-text-error</code>.", html))
            \(section("Vote links (Markdown, no JavaScript)", "Each link records a vote and opens a thank-you page where the reader can add a reason and a comment. Put the page's URL, URL-encoded, in <code>page</code>. Add <code>&amp;redirect=URL</code> to send the reader straight back (allowed hosts only).", markdown))
            \(section("MkDocs (Material theme)", "Load the widget on every page and place it under the content.", mkdocs))
            \(section("Docusaurus", "Load the widget and wrap the doc footer; the widget follows client-side navigation by itself.", docusaurus))
            \(section("Theme", "The widget reads CSS custom properties from its container.", theming))
            <p class="muted">Example page URL used above: \(HTMLPage.escape(example))</p>
            """
        var response = HTMLPage.response(.ok, title: "Embed Hearken feedback", body: body)
        response.headers.set("Cache-Control", "no-cache")
        return response
    }

    /// A heading, an explanation (trusted HTML) and an escaped snippet.
    private static func section(_ title: String, _ explanation: String, _ snippet: String) -> String {
        "<h2>\(HTMLPage.escape(title))</h2>\n<p>\(explanation)</p>\n<pre><code>\(HTMLPage.escape(snippet))</code></pre>"
    }
}
