// Driver stage: `adjoint plot`: a Real -> Real function, and its derivative by the adjoint, as SVG.
//
// The picture has axes with "nice" ticks (1, 2 or 5 times a power of ten), labels, a
// legend and one polyline per curve. Each polyline also carries its samples at full
// precision in a `data-points` attribute ("x,y x,y ..."), so tests can check the
// plotted values without reading pixels.
import Foundation
import AdjointBasic
import AdjointIR
import AdjointInterpreter

/// What `plot` was asked to draw.
public struct PlotRequest: Sendable {
    public var function: String
    public var from: Double
    public var to: Double
    public var points: Int
    public var derivative: Bool

    public init(function: String, from: Double, to: Double, points: Int = 200, derivative: Bool = false) {
        self.function = function
        self.from = from
        self.to = to
        self.points = points
        self.derivative = derivative
    }
}

extension Compilation {
    /// The SVG text of the plot.
    public func plot(_ request: PlotRequest) throws -> String {
        let target = try userFunction(request.function, in: lowered)
        guard target.parameterTypes == [.real], target.resultType == .real else {
            throw DriverError.user("\(file.path): error: plot draws a function from Real to Real; '\(target.name)' is (\(target.parameterTypes.map(\.description).joined(separator: ", "))) -> \(target.resultType)\n")
        }
        guard request.points >= 2, request.from < request.to, request.from.isFinite, request.to.isFinite else {
            throw DriverError.usage("plot needs -n of at least 2 and --from below --to")
        }
        let xs = (0..<request.points).map { request.from + (request.to - request.from) * Double($0) / Double(request.points - 1) }
        let differentiated = try differentiate(DifferentiationRequests(
            drivers: request.derivative ? [Compilation.gradDriver(named: "plot.grad", for: target, wrt: [0])] : []))
        var interpreter = Interpreter<Double>(module: differentiated, output: { _ in })
        var values: [Double] = []
        var slopes: [Double] = []
        do {
            for x in xs {
                guard case .real(let y) = try interpreter.call(target.name, [.real(x)]) else { continue }
                values.append(y)
                if request.derivative {
                    guard case .tuple(let parts) = try interpreter.call("plot.grad", [.real(x), .real(1)]),
                          case .real(let d) = parts[1] else { continue }
                    slopes.append(d)
                }
            }
        } catch let error as RuntimeError {
            throw DriverError.user(error.diagnostic.rendered(in: file))
        }
        var curves = [Curve(label: "\(target.name)(x)", color: "#1f77b4", points: Array(zip(xs, values)))]
        if request.derivative {
            curves.append(Curve(label: "\(target.name)′(x), by the adjoint", color: "#ff7f0e", points: Array(zip(xs, slopes))))
        }
        return SVGPlot(title: "\(target.name) on [\(request.from), \(request.to)]", curves: curves).text
    }
}

/// One plotted curve.
struct Curve {
    var label: String
    var color: String
    var points: [(Double, Double)]
}

/// Lays out axes, ticks, curves and a legend as SVG.
struct SVGPlot {
    var title: String
    var curves: [Curve]
    let width = 720.0, height = 440.0
    let left = 70.0, right = 20.0, top = 40.0, bottom = 50.0

    var text: String {
        let finite = curves.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite }
        let xLow = finite.map(\.0).min() ?? 0, xHigh = finite.map(\.0).max() ?? 1
        var yLow = finite.map(\.1).min() ?? 0, yHigh = finite.map(\.1).max() ?? 1
        if yLow == yHigh { yLow -= 1; yHigh += 1 }
        let pad = (yHigh - yLow) * 0.05
        yLow -= pad
        yHigh += pad
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let legendWidth = 210.0, legendHeight = Double(curves.count) * 20 + 8
        // The legend goes in a corner no curve passes through; when every corner is crossed, the y range
        // grows upward until the band above the curves holds it.
        var legend = legendCorner(xLow, xHigh, yLow, yHigh, legendWidth, legendHeight)
        if legend == nil {
            let share = (legendHeight + 24) / plotHeight
            yHigh = (yHigh - share * yLow) / (1 - share)
            legend = (left + 12, top + 12)
        }
        func px(_ x: Double) -> Double { left + (x - xLow) / (xHigh - xLow) * plotWidth }
        func py(_ y: Double) -> Double { top + (yHigh - y) / (yHigh - yLow) * plotHeight }
        func f(_ v: Double) -> String { String(format: "%.2f", v) }

        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="15">\(SVGPlot.escape(title))</text>

        """
        // Grid, ticks and tick labels.
        for tick in SVGPlot.ticks(xLow, xHigh) {
            svg += "<line x1=\"\(f(px(tick)))\" y1=\"\(f(top))\" x2=\"\(f(px(tick)))\" y2=\"\(f(top + plotHeight))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(f(px(tick)))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(SVGPlot.label(tick))</text>\n"
        }
        for tick in SVGPlot.ticks(yLow, yHigh) {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(tick)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(py(tick)))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(SVGPlot.label(tick))</text>\n"
        }
        // Axes: the frame, and the zero lines when zero is in range.
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
        if yLow < 0, yHigh > 0 {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(0)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(py(0)))\" stroke=\"#999\"/>\n"
        }
        if xLow < 0, xHigh > 0 {
            svg += "<line x1=\"\(f(px(0)))\" y1=\"\(f(top))\" x2=\"\(f(px(0)))\" y2=\"\(f(top + plotHeight))\" stroke=\"#999\"/>\n"
        }
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">x</text>\n"
        svg += "<text x=\"16\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(top + plotHeight / 2)))\">y</text>\n"
        // Curves.
        for curve in curves {
            let drawn = curve.points.filter { $0.0.isFinite && $0.1.isFinite }.map { "\(f(px($0.0))),\(f(py($0.1)))" }
            let data = curve.points.map { "\($0.0),\($0.1)" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(curve.color)\" stroke-width=\"2\" points=\"\(drawn.joined(separator: " "))\" data-label=\"\(SVGPlot.escape(curve.label))\" data-points=\"\(data)\"/>\n"
        }
        // Legend.
        let (legendX, legendY) = legend!
        svg += "<rect x=\"\(f(legendX))\" y=\"\(f(legendY))\" width=\"\(f(legendWidth))\" height=\"\(f(legendHeight))\" fill=\"white\" stroke=\"#999\"/>\n"
        for (i, curve) in curves.enumerated() {
            let y = legendY + 16 + Double(i) * 20
            svg += "<line x1=\"\(f(legendX + 8))\" y1=\"\(f(y - 4))\" x2=\"\(f(legendX + 32))\" y2=\"\(f(y - 4))\" stroke=\"\(curve.color)\" stroke-width=\"2\"/>\n"
            svg += "<text x=\"\(f(legendX + 40))\" y=\"\(f(y))\">\(SVGPlot.escape(curve.label))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// The top-left point of a legend box in a corner of the plot that no curve crosses (top corners first),
    /// or nil when each corner is crossed. Curves are tested along their segments, not only at their samples.
    func legendCorner(_ xLow: Double, _ xHigh: Double, _ yLow: Double, _ yHigh: Double,
                      _ legendWidth: Double, _ legendHeight: Double) -> (Double, Double)? {
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func pixel(_ p: (Double, Double)) -> (Double, Double) {
            (left + (p.0 - xLow) / (xHigh - xLow) * plotWidth, top + (yHigh - p.1) / (yHigh - yLow) * plotHeight)
        }
        var pixels: [(Double, Double)] = []
        for curve in curves {
            let points = curve.points.filter { $0.0.isFinite && $0.1.isFinite }.map(pixel)
            for (a, b) in zip(points, points.dropFirst()) {
                for k in 0..<8 { let t = Double(k) / 8; pixels.append((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)) }
            }
            if let last = points.last { pixels.append(last) }
        }
        let corners = [(left + 12, top + 12), (left + plotWidth - 12 - legendWidth, top + 12),
                       (left + 12, top + plotHeight - 12 - legendHeight),
                       (left + plotWidth - 12 - legendWidth, top + plotHeight - 12 - legendHeight)]
        return corners.first { corner in
            !pixels.contains { p in
                p.0 >= corner.0 - 4 && p.0 <= corner.0 + legendWidth + 4 && p.1 >= corner.1 - 4 && p.1 <= corner.1 + legendHeight + 4
            }
        }
    }

    /// Tick positions at 1, 2 or 5 times a power of ten, about six across the range.
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        let raw = (high - low) / 6
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? magnitude * 10
        var tick = ceil(low / step) * step
        var out: [Double] = []
        while tick <= high + step * 1e-9 {
            out.append(abs(tick) < step * 1e-9 ? 0 : tick)
            tick += step
        }
        return out
    }

    static func label(_ v: Double) -> String {
        let rounded = (v * 1e6).rounded() / 1e6
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
