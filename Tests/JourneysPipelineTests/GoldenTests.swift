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
        // The lock file (.journeys.lock) is not an output.
        let got = try FileManager.default.contentsOfDirectory(atPath: out).filter { !$0.hasPrefix(".") }.sorted()
        #expect(got == want)
        for name in want {
            let a = Self.normalise(name, try Data(contentsOf: expectedDir.appendingPathComponent(name)))
            let b = Self.normalise(name, try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent(name)))
            #expect(a == b, "\(name) differs from \(expected)/\(name) (threads \(threads)); run `make golden` and review the diff")
        }
    }

    /// Every shipped pipeline with sources (default.yaml has none).
    static let pipelines: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: repo.appendingPathComponent("pipelines").path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") && $0 != "default.yaml" }.map { String($0.dropLast(5)) }.sorted()
    }()

    @Test func everyShippedPipelineHasExpectedOutputs() {
        #expect(Self.pipelines.contains("shop"))
        #expect(Self.pipelines.count >= 8)
    }

    @Test(arguments: GoldenTests.pipelines)
    func pipelineOverItsFixtures(_ name: String) throws {
        try compare(pipeline: "pipelines/\(name).yaml", expected: "fixtures/expected/\(name)", threads: "1")
        try compare(pipeline: "pipelines/\(name).yaml", expected: "fixtures/expected/\(name)", threads: "4")
    }

    /// Every shipped pipeline runs out of the box, as a user would start it (no --max-reject-ratio):
    /// the format pipelines over deliberately bad sample lines say how many rejects they accept in
    /// `outputs.max_reject_ratio`, and a ratio on the command line still wins over it. The default
    /// pipeline reads the bundled demo logs (the embedded default reads what it is given; with
    /// nothing, an empty stdin is no report, see `anEmptyStdinKeepsYesterdaysReports`).
    @Test(arguments: GoldenTests.pipelines + ["default"])
    func shippedPipelineRunsOutOfTheBox(_ name: String) throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--pipeline", "pipelines/\(name).yaml", "--out", out], asGiven: true)
        #expect(r.status == 0, "\(name): \(r.stderr)")
    }

    @Test func theCommandLineRatioWinsOverThePipelines() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        // web-nginx.yaml accepts 0.15; its sample logs reject 3 of 48 lines (0.0625): access.log's
        // lines 13 (cut short) and 16 (31 September), and one of custom.log.
        let r = try journeys(["run", "--pipeline", "pipelines/web-nginx.yaml", "--max-reject-ratio", "0.05", "--out", out])
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.contains("3 of 48 lines rejected (ratio 0.0625), over --max-reject-ratio 0.05"), "\(r.stderr)")
    }

    @Test func checkAcceptsEveryShippedPipeline() throws {
        for name in Self.pipelines + ["default"] {
            let r = try journeys(["check", "pipelines/\(name).yaml"])
            #expect(r.status == 0, "\(name): \(r.stderr)")
        }
    }
}
