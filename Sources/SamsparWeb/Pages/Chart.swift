import Foundation

/// SVG charts drawn on the server (issue 8): no chart library in the browser. Every text that
/// goes into the drawing passes ``escape(_:)``; the page places the result with `{{{svg}}}`.
/// Each chart has a title and a description (`role="img"`, `aria-labelledby`), and the page
/// shows the same numbers in a table beside it.
enum Chart {
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    struct Bar {
        var label: String
        var value: Double?
        var text: String
    }

    static func frame(id: String, title: String, description: String, width: Int, height: Int, _ body: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(width) \(height)" width="100%" role="img" aria-labelledby="\(escape(id))-t \(escape(id))-d" class="chart">\
        <title id="\(escape(id))-t">\(escape(title))</title><desc id="\(escape(id))-d">\(escape(description))</desc>\(body)</svg>
        """
    }

    /// The most characters of a bar's label on one line: what fits left of the bars.
    static let labelLine = 24

    /// A label as at most two lines of at most ``labelLine`` characters, broken between words;
    /// what does not fit ends in "…".
    static func labelLines(_ label: String) -> [String] {
        guard label.count > labelLine else { return [label] }
        var lines: [String] = [""]
        for word in label.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            let candidate = lines[lines.count - 1].isEmpty ? word : lines[lines.count - 1] + " " + word
            if candidate.count <= labelLine || lines[lines.count - 1].isEmpty {
                lines[lines.count - 1] = candidate
            } else {
                lines.append(word)
            }
        }
        var kept = Array(lines.prefix(2))
        let cut = lines.count > 2
        for i in kept.indices where kept[i].count > labelLine || (cut && i == 1) {
            kept[i] = String(kept[i].prefix(labelLine - 1)) + "…"
        }
        return kept
    }

    /// Horizontal bars, with an optional target line (a share goal).
    static func bars(id: String, title: String, description: String, _ bars: [Bar], maximum: Double, target: Double? = nil, targetLabel: String = "") -> String
    {
        let labelWidth = 190
        let barWidth = 330
        // A long track name is wrapped onto two lines (issue 19: it ran off the left edge); the
        // table beside the chart has it whole.
        let labels = bars.map { labelLines($0.label) }
        let rowHeights = labels.map { $0.count > 1 ? 44 : 30 }
        let height = rowHeights.reduce(0, +) + 30
        var body = ""
        var y = 10
        for (i, bar) in bars.enumerated() {
            defer { y += rowHeights[i] }
            let lines = labels[i]
            body += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 17)\" text-anchor=\"end\" class=\"label\">"
            if lines.count == 1 {
                body += escape(lines[0])
            } else {
                for (n, line) in lines.enumerated() {
                    body += "<tspan x=\"\(labelWidth - 8)\" dy=\"\(n == 0 ? 0 : 15)\">\(escape(line))</tspan>"
                }
            }
            body += "</text>"
            let length = bar.value.map { maximum > 0 ? Int(($0 / maximum) * Double(barWidth)) : 0 } ?? 0
            body += "<rect x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(max(length, bar.value == nil ? 0 : 1))\" height=\"18\" class=\"bar\"/>"
            body += "<text x=\"\(labelWidth + length + 6)\" y=\"\(y + 17)\" class=\"value\">\(escape(bar.text))</text>"
        }
        if let target, maximum > 0 {
            let x = labelWidth + Int(target / maximum * Double(barWidth))
            body += "<line x1=\"\(x)\" y1=\"4\" x2=\"\(x)\" y2=\"\(height - 20)\" class=\"target\"/>"
            body += "<text x=\"\(x)\" y=\"\(height - 6)\" text-anchor=\"middle\" class=\"label\">\(escape(targetLabel))</text>"
        }
        return frame(id: id, title: title, description: description, width: labelWidth + barWidth + 80, height: height, body)
    }

    /// A line (or steps) over x from 0 to `xMax`, y from 0 to 1, with an optional vertical mark.
    static func line(
        id: String, title: String, description: String, points: [(x: Double, y: Double)], xMax: Double, steps: Bool, mark: Double? = nil,
        markLabel: String = "", xLabels: [(x: Double, text: String)], yLabel: String
    ) -> String {
        let left = 50.0
        let top = 10.0
        let width = 480.0
        let height = 200.0
        func px(_ x: Double) -> Double { left + (xMax > 0 ? x / xMax : 0) * width }
        func py(_ y: Double) -> Double { top + (1 - y) * height }
        var body = ""
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            body += "<line x1=\"\(left)\" y1=\"\(py(tick))\" x2=\"\(left + width)\" y2=\"\(py(tick))\" class=\"grid\"/>"
            body += "<text x=\"\(left - 6)\" y=\"\(py(tick) + 4)\" text-anchor=\"end\" class=\"label\">\(Int(tick * 100))</text>"
        }
        for label in xLabels {
            body += "<text x=\"\(px(label.x))\" y=\"\(top + height + 18)\" text-anchor=\"middle\" class=\"label\">\(escape(label.text))</text>"
        }
        body +=
            "<text x=\"12\" y=\"\(top + height / 2)\" transform=\"rotate(-90 12 \(top + height / 2))\" text-anchor=\"middle\" class=\"label\">\(escape(yLabel))</text>"
        if !points.isEmpty {
            var d = "M\(px(points[0].x)) \(py(points[0].y))"
            for (i, p) in points.enumerated() where i > 0 {
                if steps { d += " L\(px(p.x)) \(py(points[i - 1].y))" }
                d += " L\(px(p.x)) \(py(p.y))"
            }
            body += "<path d=\"\(d)\" class=\"line\"/>"
            if !steps { for p in points { body += "<circle cx=\"\(px(p.x))\" cy=\"\(py(p.y))\" r=\"4\" class=\"point\"/>" } }
        }
        if let mark {
            body += "<line x1=\"\(px(mark))\" y1=\"\(top)\" x2=\"\(px(mark))\" y2=\"\(top + height)\" class=\"target\"/>"
            body += "<text x=\"\(px(mark) + 4)\" y=\"\(top + 12)\" class=\"label\">\(escape(markLabel))</text>"
        }
        return frame(id: id, title: title, description: description, width: Int(left + width + 30), height: Int(top + height + 30), body)
    }
}
