import Foundation
import Testing

/// Each shipped pipeline over its fixtures, compared byte for byte with the checked-in expected
/// outputs (`make golden` regenerates them; a person reviews the diff).
@Suite(.serialized) struct GoldenTests {
    static func normalise(_ name: String, _ data: Data) -> Data {
        guard name == "summary.json" else { return data }
        // The run's elapsed time is the one field that differs between runs.
        let text = String(decoding: data, as: UTF8.self)
            .replacingOccurrences(of: #""elapsed_seconds": [0-9.]+"#, with: #""elapsed_seconds": 0"#, options: .regularExpression)
        return Data(text.utf8)
    }

    func compare(pipeline: String, expected: String, threads: String) throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--pipeline", pipeline, "--out", out, "--threads", threads])
        #expect(r.status == 0, "\(r.stderr)")
        let expectedDir = repo.appendingPathComponent(expected)
        let want = try FileManager.default.contentsOfDirectory(atPath: expectedDir.path).sorted()
        let got = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(got == want)
        for name in want {
            let a = Self.normalise(name, try Data(contentsOf: expectedDir.appendingPathComponent(name)))
            let b = Self.normalise(name, try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent(name)))
            #expect(a == b, "\(name) differs from \(expected)/\(name) (threads \(threads)); run `make golden` and review the diff")
        }
    }

    @Test func shopPipelineOverTheDemoLogs() throws {
        try compare(pipeline: "pipelines/shop.yaml", expected: "fixtures/demo/expected", threads: "1")
        try compare(pipeline: "pipelines/shop.yaml", expected: "fixtures/demo/expected", threads: "4")
    }
}
