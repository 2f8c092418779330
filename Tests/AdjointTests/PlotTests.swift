// adjoint plot: well-formed SVG whose curves are the function and its derivative by the adjoint.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import AdjointDriver

/// Collects the `data-points` of every polyline while checking that the document parses as XML.
private final class PolylineReader: NSObject, XMLParserDelegate {
    var curves: [(label: String, points: [(Double, Double)])] = []
    var elements = 0

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements += 1
        guard name == "polyline", let data = attributes["data-points"] else { return }
        let points = data.split(separator: " ").map { pair -> (Double, Double) in
            let xy = pair.split(separator: ",")
            return (Double(xy[0])!, Double(xy[1])!)
        }
        curves.append((attributes["data-label"] ?? "", points))
    }
}

@Test func exerciseSixPlotsSinAndItsDerivative() throws {
    let compilation = try Compilation(path: packageRoot.appendingPathComponent("examples/exercise6_sin.adj").path)
    let svg = try compilation.plot(PlotRequest(function: "f", from: -2 * Double.pi, to: 2 * Double.pi, points: 101,
                                               derivative: true))
    let reader = PolylineReader()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = reader
    #expect(parser.parse(), "the SVG is well-formed XML")
    #expect(reader.elements > 20, "axes, ticks, labels and a legend")
    #expect(svg.contains("<text") && svg.contains("f′(x), by the adjoint"))
    try #require(reader.curves.count == 2)
    let (sine, derivative) = (reader.curves[0].points, reader.curves[1].points)
    #expect(sine.count == 101 && derivative.count == 101)
    #expect(sine.allSatisfy { abs($0.1 - sin($0.0)) <= 1e-9 })
    #expect(derivative.allSatisfy { abs($0.1 - cos($0.0)) <= 1e-9 }, "the derivative, computed without writing cos, is cos")
}

@Test func plotRejectsWhatItCannotDraw() {
    let source = "func v(x: Tensor) -> Real {\n    return sum(x)\n}\n"
    #expect(throws: DriverError.self) {
        try compile(source).plot(PlotRequest(function: "v", from: 0, to: 1))
    }
}

@Test func theLegendCoversNoCurve() throws {
    // sin and cos over two periods cross every corner: the y range grows so the legend sits above them.
    let svg = try compile("func f(x: Real) -> Real {\n    return sin(x)\n}\n")
        .plot(PlotRequest(function: "f", from: -6.283, to: 6.283, points: 200, derivative: true))
    let plot = SVGPlot(title: "", curves: [])
    #expect(plot.legendCorner(0, 1, 0, 1, 210, 48) != nil)  // nothing drawn: the first corner is free
    // The legend box: nothing of either polyline inside it.
    let rect = try #require(svg.split(separator: "\n").last { $0.hasPrefix("<rect x=") && $0.contains("fill=\"white\" stroke=\"#999\"") })
    func attribute(_ name: String, _ line: Substring) -> Double {
        let start = line.range(of: "\(name)=\"")!.upperBound
        return Double(line[start...].prefix { $0 != "\"" })!
    }
    let (x, y, w, h) = (attribute("x", rect), attribute("y", rect), attribute("width", rect), attribute("height", rect))
    for line in svg.split(separator: "\n") where line.hasPrefix("<polyline") {
        let start = line.range(of: "points=\"")!.upperBound
        for pair in line[start...].prefix(while: { $0 != "\"" }).split(separator: " ") {
            let p = pair.split(separator: ",").map { Double($0)! }
            #expect(!(p[0] >= x && p[0] <= x + w && p[1] >= y && p[1] <= y + h), "a curve passes under the legend at \(p)")
        }
    }
}
