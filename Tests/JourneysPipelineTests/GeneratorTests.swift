import Foundation
import JourneysGenerator
import JourneysIO
import Testing

/// Every line of a gzip file, decoded with the project's decoder and line chunker.
private func gzipLines(_ path: String) throws -> (lines: [[UInt8]], report: ByteStreamDecoder.Report) {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    var lines: [[UInt8]] = []
    var chunker = LineChunker(input: 0) { c in c.forEachLine { l, _, _ in lines.append(Array(l)) } }
    var pos = 0
    let report = ByteStreamDecoder().decode(read: { buf in
        let n = min(buf.count, bytes.count - pos)
        if n <= 0 { return 0 }
        bytes.withUnsafeBytes { buf.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[pos..<(pos + n)])) }
        pos += n
        return n
    }, into: &chunker)
    chunker.finish(keepPartialLine: true)
    return (lines, report)
}

/// The files of a generated directory, relative path → bytes.
private func tree(_ dir: String) throws -> [String: [UInt8]] {
    var out: [String: [UInt8]] = [:]
    let fm = FileManager.default
    for rel in try fm.subpathsOfDirectory(atPath: dir).sorted() {
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue else { continue }
        out[rel] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + rel)))
    }
    return out
}

private func generate(_ dir: TempDir, persons: Int = 400, days: Int = 6, seed: UInt64 = 11, threads: Int = 2) throws -> GeneratorSummary {
    try Generator.run(GeneratorConfig(persons: persons, days: days, seed: seed, startDay: GeneratorConfig.day(of: "2026-10-20")!,
                                      out: dir.url.path, threads: threads))
}

/// What a web line is, judged from its text alone (not from the generator's own flags).
private enum WebKind: String { case page_views, assets, bots, malformed }

private func classify(_ line: [UInt8]) -> (WebKind, path: String, referrer: String) {
    let s = String(decoding: line, as: UTF8.self)
    let q = s.split(separator: "\"", omittingEmptySubsequences: false)
    // ip - - [time] "request" status bytes "ref" "ua" "visitor" "customer" rt → 11 pieces.
    guard q.count == 11, s.contains("] \""), q[1].split(separator: " ").count == 3,
          q[2].split(separator: " ").count == 2, Int(q[2].split(separator: " ")[0]) != nil else { return (.malformed, "", "") }
    let path = String(q[1].split(separator: " ")[1])
    let ua = q[5]
    if ua.contains("bot") || ua.hasPrefix("curl/") { return (.bots, path, String(q[3])) }
    let bare = path.split(separator: "?")[0]
    for ext in [".css", ".js", ".png", ".jpg", ".woff2", ".ico", ".svg"] where bare.hasSuffix(ext) { return (.assets, path, String(q[3])) }
    return (.page_views, path, String(q[3]))
}

@Suite struct GeneratorTests {
    @Test func sameSeedGivesIdenticalBytesForAnyThreadCount() throws {
        let a = TempDir(), b = TempDir()
        _ = try generate(a, threads: 1)
        _ = try generate(b, threads: 3)
        let ta = try tree(a.url.path), tb = try tree(b.url.path)
        #expect(ta.count == 6 * 3 + 3, "18 log files, log_format.txt, pipeline.yaml, truth.json")
        #expect(ta.keys.sorted() == tb.keys.sorted())
        for (k, v) in ta { #expect(tb[k] == v, "\(k) differs between runs") }
    }

    @Test func differentSeedGivesDifferentData() throws {
        let a = TempDir(), b = TempDir()
        _ = try generate(a, seed: 1)
        _ = try generate(b, seed: 2)
        let ta = try tree(a.url.path), tb = try tree(b.url.path)
        let web = ta.keys.filter { $0.hasPrefix("web/access-") }
        #expect(web.count == 6)
        for k in web { #expect(ta[k] != tb[k], "\(k) is the same for seeds 1 and 2") }
        #expect(ta["truth.json"] != tb["truth.json"])
        #expect(ta["pipeline.yaml"] == tb["pipeline.yaml"])
    }

    @Test func truthCountsMatchTheLinesWritten() throws {
        let dir = TempDir()
        let s = try generate(dir)
        #expect(s.files.count == 18)
        var purchases = 0
        var revenueCents = 0
        for f in s.files {
            let (lines, report) = try gzipLines(dir.url.path + "/" + f.path)
            #expect(report.isGzip && report.damage == nil && report.members == 1, "\(f.path) is one valid gzip member")
            #expect(lines.count == f.lines, "\(f.path): \(lines.count) lines, truth says \(f.lines)")
            #expect(Int(report.decompressedBytes) == f.uncompressedBytes)
            if f.path.hasPrefix("web/") {
                var kinds: [WebKind: Int] = [:]
                for l in lines {
                    let (k, path, _) = classify(l)
                    kinds[k, default: 0] += 1
                    if k == .page_views, path.hasPrefix("/checkout/complete?value=") {
                        purchases += 1
                        let v = path.split(separator: "=")[1].split(separator: "&")[0].split(separator: ".")
                        revenueCents += Int(v[0])! * 100 + Int(v[1])!
                        #expect(path.hasSuffix("&currency=EUR"))
                    }
                }
                for k in [WebKind.page_views, .assets, .bots, .malformed] {
                    #expect(kinds[k, default: 0] == f.count(k.rawValue), "\(f.path): \(k.rawValue)")
                }
            } else if f.path.hasPrefix("email/") {
                for name in ["processed", "delivered", "open", "click", "bounce", "unsubscribe", "spamreport"] {
                    let n = lines.filter { String(decoding: $0, as: UTF8.self).contains("\"event\":\"\(name)\"") }.count
                    #expect(n == f.count(name), "\(f.path): \(name)")
                }
            } else {
                let text = lines.map { String(decoding: $0, as: UTF8.self) }
                #expect(text.filter { $0.contains("\"type\":\"chat_started\"") }.count == f.count("chat_started"))
                #expect(text.filter { $0.contains("\"author_role\":\"visitor\",\"type\":\"message\"") }.count == f.count("visitor_messages"))
                #expect(text.filter { $0.contains("\"type\":\"rating\"") }.count == f.count("ratings"))
                #expect(text.filter { $0.contains("\"type\":\"survey\"") }.count == f.count("surveys"))
                let times = text.map { $0.split(separator: "\"timestamp\":\"")[1].prefix(20) }
                #expect(times == times.sorted(), "\(f.path) is in time order")
            }
        }
        // The truth file says the same as the lines.
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.url.appendingPathComponent("truth.json"))) as! [String: Any]
        #expect(truth["order_count"] as? Int == purchases)
        #expect(truth["revenue_cents"] as? Int == revenueCents)
        #expect(purchases > 0)
        let lines = truth["lines"] as! [String: Any]
        #expect(lines["total"] as? Int == s.files.reduce(0) { $0 + $1.lines })
        let persons = truth["persons"] as! [[String: Any]]
        #expect(persons.count == 400 && truth["person_count"] as? Int == 400)
        #expect(persons.filter { ($0["orders"] as! Int) > 0 }.count == truth["purchasers"] as? Int)
        #expect(persons.reduce(0) { $0 + ($1["orders"] as! Int) } == purchases)
    }

    @Test func noiseIsAboutTheAdvertisedShare() throws {
        let dir = TempDir()
        let s = try generate(dir, persons: 1500, days: 10)
        let web = s.files.filter { $0.path.hasPrefix("web/") }
        let total = Double(web.reduce(0) { $0 + $1.lines })
        func share(_ k: String) -> Double { Double(web.reduce(0) { $0 + $1.count(k) }) / total }
        #expect(share("bots") > 0.015 && share("bots") < 0.025)
        #expect(share("assets") > 0.02 && share("assets") < 0.045)
        #expect(share("malformed") > 0.003 && share("malformed") < 0.007)
        #expect(share("server_errors") > 0)
    }

    /// A person's first web line shows the acquisition channel the truth gives them.
    @Test func firstTouchChannelIsVisibleInTheFirstLine() throws {
        let dir = TempDir()
        let s = try generate(dir, persons: 600, days: 8)
        var firstLine: [String: (path: String, referrer: String)] = [:]
        for f in s.files where f.path.hasPrefix("web/") {
            for l in try gzipLines(dir.url.path + "/" + f.path).lines {
                let (k, path, ref) = classify(l)
                guard k == .page_views else { continue }
                let q = String(decoding: l, as: UTF8.self).split(separator: "\"", omittingEmptySubsequences: false)
                let visitor = String(q[7])
                if firstLine[visitor] == nil { firstLine[visitor] = (path, ref) }
            }
        }
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.url.appendingPathComponent("truth.json"))) as! [String: Any]
        var checked = 0
        for p in truth["persons"] as! [[String: Any]] {
            let channel = p["first_channel"] as! String
            guard let (path, ref) = firstLine[p["visitor_id"] as! String] else {
                #expect(channel == "email", "only an email-acquired person can be without web lines")
                continue
            }
            checked += 1
            switch channel {
            case "paid_search": #expect(path.contains("gclid=") && ref.contains("google"))
            case "paid_social": #expect(path.contains("utm_medium=paid_social") && path.contains("fbclid="))
            case "email": #expect(path.contains("utm_medium=email") && path.contains("cid=C"))
            case "organic_search": #expect(!path.contains("utm_") && ["google", "bing", "duckduckgo"].contains { ref.contains($0) })
            case "organic_social": #expect(!path.contains("utm_") && ["facebook", "instagram"].contains { ref.contains($0) })
            case "referral": #expect(!path.contains("utm_") && ref.hasPrefix("https://") && !ref.contains("shop.example.com/"))
            case "direct": #expect(!path.contains("utm_") && ref == "-")
            default: Issue.record("unknown channel \(channel)")
            }
        }
        #expect(checked > 500)
    }

    @Test func pipelineAndLogFormatAreWritten() throws {
        let dir = TempDir()
        _ = try generate(dir, persons: 20, days: 1)
        let lf = try String(contentsOf: dir.url.appendingPathComponent("web/log_format.txt"), encoding: .utf8)
        #expect(lf == Generator.logFormat + "\n")
        let yaml = try String(contentsOf: dir.url.appendingPathComponent("pipeline.yaml"), encoding: .utf8)
        #expect(yaml.contains("format: nginx") && yaml.contains("format: sendgrid") && yaml.contains("format: chat"))
        #expect(yaml.contains("log_format: '\(Generator.logFormat)'"))
    }
}
