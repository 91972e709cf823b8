import Foundation
@testable import JourneysGenerator
import JourneysIO
import JourneysPipeline
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
        #expect(persons.count == truth["person_count"] as? Int)
        // Every simulated person shows in the logs, some of them as two persons.
        #expect(Set(persons.map { $0["person"] as! Int }).count == 400 && truth["simulated_persons"] as? Int == 400)
        #expect(persons.count - 400 == truth["split_persons"] as? Int)
        #expect(persons.filter { ($0["parts"] as! Int) > 1 }.count == 2 * (persons.count - 400), "a split person is two persons")
        #expect(persons.filter { ($0["orders"] as! Int) > 0 }.count == truth["purchasers"] as? Int)
        #expect(persons.reduce(0) { $0 + ($1["orders"] as! Int) } == purchases)
        #expect(persons.reduce(0) { $0 + ($1["touchpoints"] as! Int) } == truth["touchpoints"] as? Int)
        #expect(persons.reduce(0) { $0 + ($1["sessions"] as! Int) } == truth["sessions"] as? Int)
        // The funnel and first-touch counts add up over the persons.
        let funnel = truth["funnel"] as! [String: Int]
        for (stage, n) in funnel {
            #expect(persons.filter { ($0["stages"] as! [String]).contains(stage) }.count == n, "funnel \(stage)")
        }
        #expect(funnel["purchase"] == truth["purchasers"] as? Int)
        let firstTouch = truth["first_touch_channels"] as! [String: Int]
        #expect(firstTouch.values.reduce(0, +) == persons.count)
        for (channel, n) in firstTouch {
            #expect(persons.filter { $0["first_touch_channel"] as? String == channel }.count == n, "first touch \(channel)")
        }
        // A person without a session is one who only received email.
        for p in persons where p["sessions"] as! Int == 0 {
            #expect(p["first_touch_channel"] as? String == "(none)" && p["visitor_id"] is NSNull && !(p["email"] is NSNull))
        }
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
            // The part of a split person without web lines (newsletter only) has no visitor id.
            guard let visitor = p["visitor_id"] as? String else { continue }
            guard let (path, ref) = firstLine[visitor] else {
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
        // Its journey sections are the shop pipeline's, whose stage rules truth.json assumes.
        let generated = try PipelineConfig.parse(yaml, file: dir.url.appendingPathComponent("pipeline.yaml").path)
        let shop = try PipelineConfig.load(path: repo.appendingPathComponent("pipelines/shop.yaml").path)
        #expect(generated.identity == shop.identity)
        // Attribution, paths and pain points change no count of truth.json: left at their defaults.
        var expected = shop.journey
        let g = generated.journey
        expected.attributionModels = g.attributionModels
        expected.timeDecayHalfLifeMs = g.timeDecayHalfLifeMs
        expected.lookbackMs = g.lookbackMs
        expected.pathDepth = g.pathDepth
        expected.slowPageMs = g.slowPageMs
        expected.slowChatResponseMs = g.slowChatResponseMs
        expected.badRatingMax = g.badRatingMax
        #expect(g == expected)
        #expect(g.chatVisitorIsWebVisitor)
        #expect(generated.sources.count == 3)
    }

    /// The truth's own reading of a hand-made event list: which keys the lines link, sessions,
    /// stages, orders and the first touch (see `Observer`).
    @Test func observerHandWorked() throws {
        let t0: Int64 = 1_791_000_000
        var seq: Int32 = 0
        func ev(_ kind: EventKind, _ dt: Int64, page: Int = 0, sub: UInt8 = 0, flags: UInt8 = 0, channel: AcquisitionChannel = .direct,
                value: Int32 = 0) -> Ev {
            seq += 1
            var e = Ev(time: t0 + dt, person: 0, seq: seq, kind: kind)
            e.page = UInt16(page); e.sub = sub; e.flags = flags; e.channel = channel.rawValue; e.value = value
            return e
        }
        let day: Int64 = 86_400
        var events = [
            ev(.page, 0, page: Catalog.home, flags: Ev.landing, channel: .organicSearch),
            ev(.asset, 1, flags: Ev.loggedIn), // skipped by the reader: links nothing
            ev(.page, 60, page: Catalog.productPages[0]),
            ev(.page, 120, page: Catalog.checkout, flags: Ev.serverError), // 5xx: no decision
            ev(.email, day, sub: EmailEvent.processed.rawValue, flags: Ev.hasCustomer),
            ev(.email, day + 10, sub: EmailEvent.delivered.rawValue, flags: Ev.hasCustomer),
            ev(.page, 3 * day, page: Catalog.home, flags: Ev.landing, channel: .direct),
            ev(.chat, 3 * day + 100, sub: ChatEvent.started.rawValue),
            ev(.chat, 3 * day + 130, sub: ChatEvent.agentMessage.rawValue),
        ]
        // The newsletter's keys (email, customer) never share a line with the cookie: two persons.
        var o = Observer.observe(person: 7, events: events)
        #expect(o.count == 2)
        let web = try #require(o.first { $0.hasVisitor }), mail = try #require(o.first { !$0.hasVisitor })
        #expect(!web.hasCustomer && !web.hasEmail && mail.hasCustomer && mail.hasEmail)
        #expect(web.touchpoints == 6 && web.sessions == 2 && web.firstTouch == .organicSearch && web.visits == 2 && web.chats == 1)
        #expect(web.stages == ShopStage.awareness.bit | ShopStage.consideration.bit)
        #expect(mail.touchpoints == 2 && mail.sessions == 0 && mail.firstTouch == FirstTouch.none && mail.emailsDelivered == 1)
        #expect(mail.stages == ShopStage.awareness.bit && mail.firstSeen == t0 + day)
        #expect(o.allSatisfy { $0.parts == 2 && $0.person == 7 })

        // The visitor types their address in the chat: one person. Two orders; a survey of 9.
        events += [
            ev(.chat, 3 * day + 1900, sub: ChatEvent.visitorMessage.rawValue, flags: Ev.withEmail), // exactly 30 min later: same session
            ev(.chat, 3 * day + 1950, sub: ChatEvent.survey.rawValue, flags: Ev.withEmail, value: 9),
            ev(.page, 3 * day + 2000, page: Catalog.complete, flags: Ev.loggedIn, value: 12_990),
            ev(.page, 4 * day, page: Catalog.complete, flags: Ev.loggedIn, value: 5_000),
        ]
        o = Observer.observe(person: 7, events: events)
        #expect(o.count == 1)
        let p = try #require(o.first)
        #expect(p.hasVisitor && p.hasCustomer && p.hasEmail && p.parts == 1)
        #expect(p.touchpoints == 12 && p.sessions == 3 && p.firstTouch == .organicSearch)
        #expect(p.orders == 2 && p.revenueCents == 17_990)
        #expect(ShopStage.allCases.allSatisfy { p.reached($0) })

        // An email open opens a session of its own: a split-off newsletter reader's first touch is email.
        let opened = Observer.observe(person: 1, events: [ev(.email, 0, sub: EmailEvent.delivered.rawValue),
                                                          ev(.email, 600, sub: EmailEvent.open.rawValue)])
        #expect(opened.count == 1 && opened[0].sessions == 1 && opened[0].firstTouch == .email)
        // Stage paths end at a segment boundary.
        #expect(Observer.stages(path: Array("/products?category=shoes".utf8)) == ShopStage.consideration.bit)
        #expect(Observer.stages(path: Array("/productsale".utf8)) == 0)
        #expect(Observer.stages(path: Array("/checkout/complete".utf8)) == ShopStage.decision.bit)
    }
}
