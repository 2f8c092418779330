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
