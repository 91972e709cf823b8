import Foundation
import JourneysCore
import JourneysIO
import JourneysPipeline
import JourneysReaders
import Testing

/// A temporary folder removed when the value goes away.
final class TempDir {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("journeys-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let p = url.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }
}

/// `n` combined-format lines for person `p`, with a bot, an asset and a malformed line mixed in.
func combinedLines(person p: Int, n: Int, startSecond: Int = 0) -> String {
    var s = ""
    for i in 0..<n {
        let sec = startSecond + i * 7
        let time = String(format: "10/Oct/2026:%02d:%02d:%02d +0000", 10 + sec / 3600, sec / 60 % 60, sec % 60)
        switch i % 10 {
        case 3: s += "66.249.66.1 - - [\(time)] \"GET /p\(i) HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\"\n"
        case 5: s += "10.0.\(p).1 - - [\(time)] \"GET /static/site.css HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"
        case 7: s += "this is not a log line \(i)\n"
        default: s += "10.0.\(p).1 - - [\(time)] \"GET /page/\(i)?utm_source=s\(p) HTTP/1.1\" 200 10 \"https://www.google.com/\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"
        }
    }
    return s
}

/// Runs the scanner over `plans` and returns the NDJSON it would write, then the rejects
/// (input, line, reason), and the summaries.
func scan(_ plans: [InputPlan], threads: Int, chunkSize: Int = 1 << 20) -> (String, [InputSummary]) {
    var options = ScanOptions(threads: threads)
    options.chunkSize = chunkSize
    let enc = TouchpointFormat(inputs: plans.map(\.spec.displayName))
    var out: [UInt8] = []
    var rejects = ""
    let summaries = try! Scanner.run(plans, options: options, work: { r -> [UInt8] in
        var o: [UInt8] = []
        enc.appendJSON(r.batch, to: &o)
        return o
    }, consume: { bytes, header in
        out += bytes
        for j in header.rejects { rejects += "REJECT \(j.origin.input):\(j.origin.line) \(j.reason.rawValue)\n" }
    })
    return (String(decoding: out, as: UTF8.self) + rejects, summaries)
}

@Suite struct ScannerTests {
    func plans(_ dir: TempDir, format: String? = "combined") -> [InputPlan] {
        var files: [(String, [UInt8])] = []
        for p in 0..<6 {
            let text = Array(combinedLines(person: p, n: 120 + p * 13).utf8)
            switch p % 3 {
            case 0: files.append(("in\(p).log", text))
            case 1: files.append(("in\(p).log.gz", GzipCompressor.compress(text)))
            default:
                let half = text.count / 2 // split inside a line: two members
                files.append(("in\(p).gz", GzipCompressor.compress(Array(text[..<half])) + GzipCompressor.compress(Array(text[half...]))))
            }
        }
        return files.map { InputPlan(spec: InputSpec(path: dir.write($0.0, $0.1)), format: format, options: ReaderOptions()) }
    }

    @Test func sameOutputForAnyThreadCountAndChunkSize() {
        let dir = TempDir()
        let p = plans(dir)
        let (base, _) = scan(p, threads: 1)
        #expect(base.contains("\"path\":\"/page/0\""))
        for threads in [2, 3, 8] {
            for chunk in [97, 4096, 1 << 20] {
                let (got, _) = scan(p, threads: threads, chunkSize: chunk)
                #expect(got == base, "threads \(threads), chunk \(chunk)")
            }
        }
    }

    @Test func everyLineIsAccountedFor() {
        let dir = TempDir()
        let (_, summaries) = scan(plans(dir), threads: 2, chunkSize: 300)
        #expect(summaries.count == 6)
        for (p, s) in summaries.enumerated() {
            let n = Int64(120 + p * 13)
            #expect(s.lines == n)
            #expect(s.lines == s.touchpointLines + s.skips.total + s.rejected, "\(s.name)")
            // Lines i % 10 == 3 are bots, == 5 assets, == 7 malformed: count them by hand.
            let count = { (r: Int) in Int64((0..<Int(n)).filter { $0 % 10 == r }.count) }
            #expect(s.skips[.bot] == count(3))
            #expect(s.skips[.asset] == count(5))
            #expect(s.rejects[.malformed] == count(7))
            #expect(s.touchpoints == n - count(3) - count(5) - count(7))
            #expect(s.damage == nil)
        }
        #expect(summaries[1].isGzip && summaries[2].members == 2 && !summaries[0].isGzip)
    }

    @Test func formatIsDetectedPerInput() throws {
        let dir = TempDir()
        let web = dir.write("web.log", Array(combinedLines(person: 1, n: 30).utf8))
        let sg = dir.write("sg.json", Array(#"""
        {"email":"a@example.com","timestamp":1791665736,"event":"delivered","sg_event_id":"e1","sg_message_id":"m1"}
        {"email":"a@example.com","timestamp":1791665799,"event":"open","sg_event_id":"e2","sg_message_id":"m1"}
        """#.utf8))
        let junk = dir.write("junk.txt", Array("hello\nworld\n".utf8))
        let p = [web, sg, junk].map { InputPlan(spec: InputSpec(path: $0), format: nil, options: ReaderOptions()) }
        let (_, s) = scan(p, threads: 2)
        #expect(s[0].format == "combined" && s[0].formatDetected)
        #expect(s[1].format == "sendgrid" && s[1].touchpoints == 2)
        #expect(s[2].formatError != nil)
        #expect(s[2].rejects[.noFormat] == 2)
    }

    @Test func missingAndDamagedInputsDoNotStopTheOthers() {
        let dir = TempDir()
        var body = ""
        for i in 0..<400 { body += "10.0.0.1 - - [10/Oct/2026:10:00:00 +0000] \"GET /a/\(i) HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0\"\n" }
        let gz = GzipCompressor.compress(Array(body.utf8))
        let cut = dir.write("cut.log.gz", Array(gz[..<(gz.count * 2 / 3)]))
        let good = dir.write("good.log", Array(combinedLines(person: 2, n: 10).utf8))
        let p = [cut, dir.url.appendingPathComponent("nope.log").path, good].map {
            InputPlan(spec: InputSpec(path: $0), format: "combined", options: ReaderOptions())
        }
        for threads in [1, 2] {
            let (_, s) = scan(p, threads: threads)
            #expect(s[0].damage?.kind == .truncated)
            #expect(s[0].lines > 0 && s[0].lines < 400)
            #expect(s[0].touchpoints == s[0].lines) // every kept line is complete and valid
            #expect(s[1].openError?.kind == .missing)
            #expect(s[2].touchpoints == 7)
            let report = ReadFrontEnd.report(s)
            #expect(report.status == .noInput)
            #expect(report.messages.contains { $0.contains("cut.log.gz") && $0.contains("truncated") })
        }
    }

    @Test func emptyInputs() {
        let dir = TempDir()
        let empty = dir.write("empty.log", [])
        let emptyGz = dir.write("rotated.log.gz", [])
        let p = [empty, emptyGz].map { InputPlan(spec: InputSpec(path: $0), format: "combined", options: ReaderOptions()) }
        let (out, s) = scan(p, threads: 2)
        #expect(out.isEmpty)
        #expect(s[0].lines == 0 && s[0].damage == nil)
        #expect(s[1].lines == 0 && s[1].damage?.kind == .empty)
        #expect(ReadFrontEnd.report(s).status == .partial)
    }

    @Test func plannerOrdersInputsByPath() throws {
        func request(_ inputs: [String]) -> ReadRequest {
            var r = ReadRequest(threads: 1)
            r.inputs = inputs
            return r
        }
        let dir = TempDir()
        let a = dir.write("a.log", Array("x\n".utf8))
        let b = dir.write("b.log", Array("y\n".utf8))
        let forward = ReadFrontEnd.plan(request([a, b]))
        let backward = ReadFrontEnd.plan(request([b, a]))
        #expect(forward.map(\.spec.path) == [a, b])
        #expect(backward.map(\.spec.path) == [a, b])
        let viaDir = ReadFrontEnd.plan(request([dir.url.path]))
        #expect(viaDir.map(\.spec.path).map { URL(fileURLWithPath: $0).lastPathComponent } == ["a.log", "b.log"])
    }
}
