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

    @Test func anOrderValueOverInt64IsARejectNotATrap() throws {
        // `value=1e20` trapped in attribution (exit 132, nothing published). Now the line is
        // rejected out_of_range and the run publishes; the other order counts with its value.
        let dir = TempDir()
        let ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
        let log = dir.write("access.log", Array("""
        203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "GET /checkout/complete?value=1e20 HTTP/1.1" 200 512 "-" "\(ua)"
        203.0.113.7 - - [10/Oct/2026:13:56:00 +0000] "GET /checkout/complete?value=25.50 HTTP/1.1" 200 512 "-" "\(ua)"

        """.utf8))
        let out = dir.url.appendingPathComponent("reports").path
        let r = try journeys(["run", "--format", "combined", "--out", out, log])
        #expect(r.status == 0, "\(r.stderr)")
        let rejects = try String(contentsOfFile: out + "/rejects.ndjson", encoding: .utf8)
        #expect(rejects.contains(#""line":1,"#) && rejects.contains(#""reason":"out_of_range","detail":"value 1e20 (URL parameter value) is outside -1000000000000–1000000000000""#), "\(rejects)")
        let summary = try String(contentsOfFile: out + "/summary.json", encoding: .utf8)
        #expect(summary.contains(#""rejects": {"out_of_range": 1}"#), "\(summary)")
        #expect(r.stderr.contains("rejected 1 (out_of_range 1)"), "\(r.stderr)")
    }

    @Test func aHugeMaxLineLengthIsAUsageError() throws {
        // 1e12 bytes was accepted, and a long line was then held whole until memory ran out.
        let r = try journeys(["events", "--max-line-length", "1000000000000", "fixtures/web/access.log"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--max-line-length must be from 1 to 67108864 (64 MiB)"), "\(r.stderr)")
        #expect(try journeys(["events", "--max-line-length", "67108864", "fixtures/web/access.log"]).status == 0)
    }

    @Test func aLongLineUnderAnAddressSpaceLimitIsRejectedNotATrap() throws {
        // Growing the line buffer towards --max-line-length under `prlimit --as` trapped ("failed
        // to allocate", exit 134). Now the line is rejected line_too_long and the others are read.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else { return }
        let dir = TempDir()
        let ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
        let page = #"203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 512 "-" "\#(ua)""# + "\n"
        let small = dir.write("small.log", Array(page.utf8))
        var long = Array(page.utf8)
        long += Array(#"203.0.113.9 - - [10/Oct/2026:13:55:37 +0000] "GET /"#.utf8) + [UInt8](repeating: 97, count: 60 << 20) + Array(" HTTP/1.1\" 200 1 \"-\" \"x\"\n".utf8)
        long += Array(page.utf8)
        let longPath = dir.write("long.log", long)
        func limited(_ mib: Int, _ input: String) throws -> RunResult {
            try journeys(["events", "--threads", "1", "--format", "combined", "--max-line-length", "67108864", input],
                         environment: ["SWIFT_BACKTRACE": "enable=no"], under: ["/usr/bin/prlimit", "--as=\(mib << 20)"])
        }
        // The smallest limit (in steps of 20 MiB) under which a one-line run works, then 48 MiB
        // more: not enough to hold a 60 MiB line.
        guard let base = stride(from: 60, through: 600, by: 20).first(where: { (try? limited($0, small).status) == 0 }) else {
            Issue.record("no address-space limit up to 600 MiB lets journeys run")
            return
        }
        let r = try limited(base + 48, longPath)
        #expect(r.status == 0, "\(r.stderr.prefix(300))")
        #expect(r.stderr.contains("3 lines: 2 touchpoints, skipped 0, rejected 1 (line_too_long 1)"), "\(r.stderr.prefix(300))")
    }

    @Test func checkRefusesADeepPipelineWithExit78() throws {
        // 20,000 levels of nesting in 40 KB: SIGSEGV (139) inside the YAML parser before (5,000 already on a test thread's smaller stack).
        let dir = TempDir()
        let deep = dir.write("deep.yaml", Array(("sources: " + String(repeating: "[", count: 20000) + String(repeating: "]", count: 20000) + "\n").utf8))
        let r = try journeys(["check", deep])
        #expect(r.status == 78)
        #expect(r.stderr.contains("deep.yaml:1: nesting deeper than 64 levels"), "\(r.stderr)")
        let timeout = dir.write("t.yaml", Array("sessions: {timeout: 999999999999d}\n".utf8))
        let t = try journeys(["check", timeout])
        #expect(t.status == 78)
        #expect(t.stderr.contains("t.yaml:1: sessions.timeout: must be at most 3650d"), "\(t.stderr)")
    }
}
