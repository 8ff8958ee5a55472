import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import App

/// The SVG renderer on its own: escaping, sizes from 0 to 10,000 points, empty periods.
@Suite struct ChartRenderTests {
    /// Parses the SVG as XML, so any unescaped reader text would break it.
    static func wellFormed(_ svg: String) -> Bool {
        XMLParser(data: Data(svg.utf8)).parse()
    }

    static let hostile = #"</title><script>alert(1)</script>"><svg onload=alert(2)>&amp;'"#

    @Test func readerTextIsEscapedInSVG() {
        let chart = SVGChart()
        let bars = chart.bars(id: "r", title: Self.hostile, desc: Self.hostile, items: [(label: Self.hostile, value: 3)], format: SVGChart.count)
        let line = chart.line(id: "l", title: Self.hostile, desc: "d", points: [(label: Self.hostile, value: 0.5), (label: "b", value: 0.25)],
                              yMax: 1, format: SVGChart.percent)
        let spark = SVGChart.sparkline([0.1, 0.9], label: Self.hostile)
        for svg in [bars, line, spark] {
            #expect(Self.wellFormed(svg), "\(svg)")
            #expect(!svg.contains("<script"))
            #expect(!svg.contains("<svg onload"))
            #expect(!svg.contains("style="))
            #expect(svg.contains("&lt;/title&gt;&lt;script&gt;"))
        }
    }

    @Test func readerTextIsEscapedInHTML() {
        #expect(h(Self.hostile) == "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;svg onload=alert(2)&gt;&amp;amp;&#39;")
        #expect(Widgets.liveLink("javascript:alert(1)") == nil)
        #expect(Widgets.liveLink("JaVaScRiPt:alert(1)//https://x") == nil)
        #expect(Widgets.liveLink("/relative/path") == nil)
        #expect(Widgets.liveLink("https://docs.example.com/a?b=\"c\"")?.contains("&quot;c&quot;") == true)
        #expect(InboxPage.issueLink("javascript:alert(1)") == nil)
        #expect(Widgets.pageLink("/a\"><script>").contains("&quot;&gt;&lt;script&gt;"))
        #expect(QueryString.make([("page", "https://x/a b?c=d&e")]) == "?page=https://x/a%20b%3Fc%3Dd%26e")
    }

    @Test func zeroPointsSayThereIsNoData() {
        let svg = SVGChart().line(id: "z", title: "t", desc: "d", points: [], format: SVGChart.count)
        #expect(Self.wellFormed(svg))
        #expect(svg.contains("No votes in this period"))
        #expect(!svg.contains("<path"))
        let onlyGaps = SVGChart().line(id: "g", title: "t", desc: "d", points: [(label: "a", value: nil), (label: "b", value: nil)], format: SVGChart.count)
        #expect(onlyGaps.contains("No votes in this period"))
        let noBars = SVGChart().bars(id: "b", title: "t", desc: "d", items: [], format: SVGChart.count)
        #expect(Self.wellFormed(noBars) && noBars.contains("Nothing to show"))
    }

    @Test func onePointIsDrawnAsAPoint() {
        let svg = SVGChart().line(id: "one", title: "t", desc: "d", points: [(label: "11-30", value: 0.4)], yMax: 1, format: SVGChart.percent)
        #expect(Self.wellFormed(svg))
        #expect(svg.contains("<circle class=\"point\""))
        #expect(svg.contains("11-30"))
    }

    @Test func tenThousandPointsStaySmall() {
        let points = (0..<10_000).map { (label: "p\($0)", value: Double($0 % 100) / 100 as Double?) }
        let svg = SVGChart().line(id: "big", title: "t", desc: "d", points: points, yMax: 1, format: SVGChart.percent)
        #expect(Self.wellFormed(svg))
        #expect(svg.utf8.count < 40_000, "\(svg.utf8.count) bytes")
        let segments = svg.components(separatedBy: "L").count
        #expect(segments <= SVGChart.maxPlotted + 1)
        let spark = SVGChart.sparkline(points.map(\.value), label: "x")
        #expect(spark.utf8.count < 4_000)
        let bars = SVGChart(width: 720, height: 4000).bars(id: "many", title: "t", desc: "d",
                                                          items: (0..<1000).map { (label: "page \($0)", value: Double($0)) }, format: SVGChart.count)
        #expect(Self.wellFormed(bars))
    }

    @Test func chartsCarryTitleDescAndSizeWithoutStyleAttributes() {
        let svg = SVGChart(width: 400, height: 200, standalone: true).line(id: "s", title: "Helpfulness", desc: "Per day",
                                                                             points: [(label: "a", value: 0.2), (label: "b", value: 0.8)], yMax: 1, format: SVGChart.percent)
        #expect(svg.hasPrefix("<?xml"))
        #expect(svg.contains("width=\"400\" height=\"200\""))
        #expect(svg.contains("<title id=\"s-t\">Helpfulness</title><desc id=\"s-d\">Per day</desc>"))
        #expect(svg.contains("prefers-color-scheme:dark"))
        #expect(!svg.contains("style=\""))
        #expect(Self.wellFormed(svg))
        // Axis labels: 0% and 100% on the y axis, both x labels.
        #expect(svg.contains(">0%<") && svg.contains(">100%<") && svg.contains(">a<") && svg.contains(">b<"))
    }
}
