import Foundation

/// Charts as SVG text: a line over time, horizontal bars, a sparkline. Colours come from classes
/// (the dashboard's CSS, or a `<style>` inside a standalone document), never from `style` attributes,
/// so a CSP with `style-src 'self'` holds. Every text that came from readers is escaped for XML.
struct SVGChart {
    var width = 720
    var height = 300
    /// A whole `image/svg+xml` document (XML declaration, its own styles), not an element inside a page.
    var standalone = false

    /// Most points drawn; longer series are averaged into this many, so 10,000 points stay a small image.
    static let maxPlotted = 360

    static let styles = """
        .chart-bg{fill:#fff}.axis,.tick{stroke:#59636e;stroke-width:1}.grid{stroke:#d8dee4;stroke-width:1}
        .label{fill:#59636e;font-size:11px;font-family:system-ui,sans-serif}.series{fill:none;stroke:#1f5fbf;stroke-width:2}
        .point{fill:#1f5fbf}.bar{fill:#4f7fd1}.empty{fill:#59636e;font-size:13px;font-family:system-ui,sans-serif}
        .marker{stroke:#d97706;stroke-width:1.5;stroke-dasharray:4 3}.marker-flag{fill:#d97706}
        @media (prefers-color-scheme:dark){.chart-bg{fill:#0f1216}.axis,.tick{stroke:#9aa5b1}.grid{stroke:#30363d}
        .label,.empty{fill:#9aa5b1}.series{stroke:#6ea8fe}.point,.bar{fill:#6ea8fe}}
        """

    static func escape(_ text: String) -> String { HTMLPage.escape(text) }

    private func open(id: String, title: String, desc: String) -> String {
        var out = standalone ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" : ""
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" width=\"\(width)\" height=\"\(height)\" "
        out += "viewBox=\"0 0 \(width) \(height)\" aria-labelledby=\"\(id)-t \(id)-d\">"
        out += "<title id=\"\(id)-t\">\(Self.escape(title))</title><desc id=\"\(id)-d\">\(Self.escape(desc))</desc>"
        if standalone { out += "<style>\(Self.styles)</style>" }
        out += "<rect class=\"chart-bg\" x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\"/>"
        return out
    }

    private func empty(_ message: String) -> String {
        "<text class=\"empty\" x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\">\(Self.escape(message))</text></svg>"
    }

    /// A vertical mark on a line chart: an event such as a docs deploy. `position` is in points of the
    /// series (0 is the first point, 1.5 half way between the second and the third); `title` shows on hover.
    struct Marker {
        let position: Double
        let title: String
    }

    /// A line over time. `points` are (label, value); nil values leave a gap. `yMax` fixes the scale (1 for ratios).
    /// `markers` outside the series' span are left out.
    func line(id: String, title: String, desc: String, points: [(label: String, value: Double?)],
              yMax fixedMax: Double? = nil, markers: [Marker] = [], format: (Double) -> String) -> String {
        var out = open(id: id, title: title, desc: desc)
        let plotted = Self.downsample(points, to: Self.maxPlotted)
        guard plotted.contains(where: { $0.value != nil }) else { return out + empty("No votes in this period") }
        let left = 48.0, right = Double(width) - 24, top = 12.0, bottom = Double(height) - 28
        let observedMax = plotted.compactMap(\.value).max() ?? 0
        // Without a fixed scale (counts), four grid steps of a round size, so every label is a whole number.
        let yMax = fixedMax ?? Self.niceCeiling(observedMax / 4) * 4
        func y(_ value: Double) -> Double { bottom - (yMax > 0 ? value / yMax : 0) * (bottom - top) }
        func x(_ index: Int) -> Double {
            plotted.count == 1 ? (left + right) / 2 : left + Double(index) * (right - left) / Double(plotted.count - 1)
        }
        for step in 0...4 {
            let value = yMax * Double(step) / 4
            let py = Self.number(y(value))
            out += "<line class=\"grid\" x1=\"\(Self.number(left))\" y1=\"\(py)\" x2=\"\(Self.number(right))\" y2=\"\(py)\"/>"
            out += "<text class=\"label\" x=\"\(Self.number(left - 6))\" y=\"\(py)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Self.escape(format(value)))</text>"
        }
        out += "<line class=\"axis\" x1=\"\(Self.number(left))\" y1=\"\(Self.number(bottom))\" x2=\"\(Self.number(right))\" y2=\"\(Self.number(bottom))\"/>"
        out += "<line class=\"axis\" x1=\"\(Self.number(left))\" y1=\"\(Self.number(top))\" x2=\"\(Self.number(left))\" y2=\"\(Self.number(bottom))\"/>"
        for index in Self.tickIndices(count: plotted.count, most: max(2, width / 110)) {
            let px = Self.number(x(index))
            out += "<line class=\"tick\" x1=\"\(px)\" y1=\"\(Self.number(bottom))\" x2=\"\(px)\" y2=\"\(Self.number(bottom + 4))\"/>"
            out += "<text class=\"label\" x=\"\(px)\" y=\"\(Self.number(bottom + 16))\" text-anchor=\"middle\">\(Self.escape(plotted[index].label))</text>"
        }
        var path = ""
        var drawing = false
        for (index, point) in plotted.enumerated() {
            guard let value = point.value else { drawing = false; continue }
            path += (drawing ? "L" : "M") + Self.number(x(index)) + " " + Self.number(y(value))
            drawing = true
        }
        out += "<path class=\"series\" d=\"\(path)\"/>"
        // Downsampling averages groups of points into one: a marker goes where its point's group is
        // drawn, so it stays at its time whatever the series' length.
        for marker in markers where marker.position >= 0 && marker.position <= Double(max(0, points.count - 1)) {
            let plottedPosition = (marker.position + 0.5) * Double(plotted.count) / Double(max(1, points.count)) - 0.5
            let px = plotted.count == 1 ? (left + right) / 2 : left + plottedPosition * (right - left) / Double(plotted.count - 1)
            let x = Self.number(px)
            out += "<g><title>\(Self.escape(marker.title))</title>"
            out += "<line class=\"marker\" x1=\"\(x)\" y1=\"\(Self.number(top))\" x2=\"\(x)\" y2=\"\(Self.number(bottom))\"/>"
            out += "<path class=\"marker-flag\" d=\"M\(x) \(Self.number(top))l5 3l-5 3z\"/></g>"
        }
        // Lone points (no neighbour to draw a line to) still show.
        for (index, point) in plotted.enumerated() where point.value != nil {
            let alone = (index == 0 || plotted[index - 1].value == nil) && (index + 1 == plotted.count || plotted[index + 1].value == nil)
            if alone, let value = point.value {
                out += "<circle class=\"point\" cx=\"\(Self.number(x(index)))\" cy=\"\(Self.number(y(value)))\" r=\"3\"/>"
            }
        }
        return out + "</svg>"
    }

    /// Horizontal bars, one per item, largest scale at the widest bar.
    /// `scale` fixes the value of a full-width bar (1 for shares); by default the largest item fills it.
    func bars(id: String, title: String, desc: String, items: [(label: String, value: Double)], scale: Double? = nil,
              format: (Double) -> String) -> String {
        var out = open(id: id, title: title, desc: desc)
        guard !items.isEmpty else { return out + empty("Nothing to show in this period") }
        let labelWidth = min(Double(width) * 0.45, 260), valueWidth = 56.0
        let left = labelWidth + 8, right = Double(width) - valueWidth
        let rowHeight = max(4, (Double(height) - 8) / Double(items.count))
        let maxValue = max(scale ?? items.map(\.value).max() ?? 0, 1e-9)
        let maxChars = max(4, Int(labelWidth / 6.5))
        for (index, item) in items.enumerated() {
            let top = 4 + Double(index) * rowHeight
            let middle = Self.number(top + rowHeight / 2)
            let barWidth = max(0, min(1, item.value / maxValue) * (right - left))
            // Long labels (page URLs) keep their end, where pages differ.
            let label = item.label.count > maxChars ? "…" + String(item.label.suffix(maxChars - 1)) : item.label
            out += "<text class=\"label\" x=\"\(Self.number(labelWidth))\" y=\"\(middle)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Self.escape(label))</text>"
            out += "<rect class=\"bar\" x=\"\(Self.number(left))\" y=\"\(Self.number(top + rowHeight * 0.15))\" width=\"\(Self.number(barWidth))\" height=\"\(Self.number(rowHeight * 0.7))\"/>"
            out += "<text class=\"label\" x=\"\(Self.number(left + barWidth + 4))\" y=\"\(middle)\" dominant-baseline=\"middle\">\(Self.escape(format(item.value)))</text>"
        }
        out += "<line class=\"axis\" x1=\"\(Self.number(left))\" y1=\"2\" x2=\"\(Self.number(left))\" y2=\"\(height - 2)\"/>"
        return out + "</svg>"
    }

    /// A small line without axes, for a table cell; the cell's text carries the numbers.
    static func sparkline(_ values: [Double?], width: Int = 96, height: Int = 22, label: String) -> String {
        let plotted = downsample(values.map { (label: "", value: $0) }, to: width / 2)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"spark\" role=\"img\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">"
        out += "<title>\(escape(label))</title>"
        guard plotted.count > 1 else { return out + "</svg>" }
        var path = ""
        var drawing = false
        for (index, point) in plotted.enumerated() {
            guard let value = point.value else { drawing = false; continue }
            let x = Double(index) * Double(width - 2) / Double(plotted.count - 1) + 1
            let y = Double(height - 2) - min(1, max(0, value)) * Double(height - 4)
            path += (drawing ? "L" : "M") + number(x) + " " + number(y)
            drawing = true
        }
        return out + "<path class=\"spark-line\" d=\"\(path)\"/></svg>"
    }

    /// Averages consecutive points into at most `most`, keeping the first label of each group.
    static func downsample(_ points: [(label: String, value: Double?)], to most: Int) -> [(label: String, value: Double?)] {
        guard points.count > most, most > 0 else { return points }
        var out: [(label: String, value: Double?)] = []
        for group in 0..<most {
            let start = group * points.count / most, end = (group + 1) * points.count / most
            let values = points[start..<end].compactMap(\.value)
            out.append((points[start].label, values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)))
        }
        return out
    }

    /// Evenly spread indices for axis labels, first and last included.
    static func tickIndices(count: Int, most: Int) -> [Int] {
        guard count > 0 else { return [] }
        guard count > most else { return Array(0..<count) }
        return (0..<most).map { $0 * (count - 1) / (most - 1) }
    }

    /// 1, 2 or 5 times a power of ten at or above `value` (at least 1).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 1 else { return 1 }
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 5, 10] where factor * power >= value { return factor * power }
        return 10 * power
    }

    /// Coordinates with one decimal at most: small and stable output.
    static func number(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e9 else { return "0" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func percent(_ ratio: Double) -> String { "\(Int((ratio * 100).rounded()))%" }
    static func count(_ value: Double) -> String { String(Int(value.rounded())) }
}
