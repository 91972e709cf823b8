import Foundation
import Testing

@Suite(.serialized) struct RunCommandTests {
    let webInputs = ["fixtures/web/access.log.gz", "fixtures/email/sendgrid_events.ndjson.gz", "fixtures/chat/chat.jsonl.gz"]

    func files(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where !name.hasPrefix(".") {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDir), isDir.boolValue { continue }
            out[name] = GoldenTests.normalise(name, try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(name)))
        }
        return out
    }

    @Test func defaultPipelineWithInputsOnTheCommandLine() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("reports").path
        let r = try journeys(["run", "--out", out] + webInputs)
        #expect(r.status == 0, "\(r.stderr)")
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: out).filter { !$0.hasPrefix(".") })
        #expect(names == ["journeys.csv", "funnel.csv", "channels.csv", "attribution.csv", "paths.csv", "pain_points.csv",
                          "daily.csv", "summary.json", "rejects.ndjson"])
        #expect(r.stderr.contains("persons"))
        // No progress line without a terminal (stderr is a file here).
        #expect(!r.stderr.contains("\r"))
        let rejects = try FileManager.default.attributesOfItem(atPath: out + "/rejects.ndjson")
        #expect(rejects[.posixPermissions] as? Int == 0o600)
    }

    @Test func inputOrderDoesNotChangeTheOutputs() throws {
        let dir = TempDir()
        let a = dir.url.appendingPathComponent("a").path, b = dir.url.appendingPathComponent("b").path
        #expect(try journeys(["run", "--threads", "1", "--out", a] + webInputs).status == 0)
        #expect(try journeys(["run", "--threads", "3", "--out", b] + webInputs.reversed()).status == 0)
        let fa = try files(a), fb = try files(b)
        #expect(fa.keys.sorted() == fb.keys.sorted())
        for k in fa.keys { #expect(fa[k] == fb[k], "\(k)") }
    }

    @Test func aFailedRunLeavesThePreviousOutputsAlone() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("reports").path
        #expect(try journeys(["run", "--out", out] + webInputs).status == 0)
        let before = try files(out)
        // A second run whose one output name is taken by a directory cannot publish: nothing changes.
        try FileManager.default.removeItem(atPath: out + "/daily.csv")
        try FileManager.default.createDirectory(atPath: out + "/daily.csv", withIntermediateDirectories: false)
        let r = try journeys(["run", "--out", out, "fixtures/web/access.log.gz"])
        #expect(r.status == 73, "a directory in the way: cannot create outputs (README's exit table)")
        #expect(r.stderr.contains("\(out)/daily.csv: publish: Is a directory"), "\(r.stderr)")
        var after = try files(out)
        after["daily.csv"] = before["daily.csv"]
        #expect(after == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).allSatisfy { !$0.contains(".tmp-") }, "temp files left behind")
    }

    @Test func outputDirectoryThatCannotBeCreated() throws {
        let dir = TempDir()
        let file = dir.write("not-a-dir", Array("x".utf8))
        let r = try journeys(["run", "--out", file + "/reports", "fixtures/web/access.log.gz"])
        #expect(r.status == 73)
        #expect(r.stderr.contains("not-a-dir"))
    }

    @Test func checkNamesFileLineAndKeyPath() throws {
        let dir = TempDir()
        let bad = dir.write("p.yaml", Array("""
        version: 1
        stages:
          order: [awareness, purchase]
          rules:
            - stage: awareness
            - stage: checkout
              paths: [/checkout]
        """.utf8))
        let r = try journeys(["check", bad])
        #expect(r.status == 78)
        #expect(r.stderr.contains("p.yaml:6: stages.rules[1].stage: \"checkout\" is not in stages.order"), "\(r.stderr)")
        let ok = try journeys(["check", "pipelines/shop.yaml"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("ok: 3 sources"))
    }
}
