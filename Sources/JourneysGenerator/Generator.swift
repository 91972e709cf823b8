#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import JourneysCore
import JourneysEngine
import JourneysIO

/// Settings of `journeys generate`.
public struct GeneratorConfig: Sendable {
    public var persons: Int
    public var days: Int
    public var seed: UInt64
    /// The first day (local date), as days since 1970-01-01.
    public var startDay: Int64
    /// The output directory.
    public var out: String
    /// Worker threads; the output is the same for any count.
    public var threads: Int
    /// gzip level of the written files.
    public var level: Int32 = 6

    public init(persons: Int, days: Int, seed: UInt64, startDay: Int64, out: String, threads: Int) {
        self.persons = persons
        self.days = days
        self.seed = seed
        self.startDay = startDay
        self.out = out
        self.threads = max(1, threads)
    }

    /// Days since 1970-01-01 of a `YYYY-MM-DD` date, or nil.
    public static func day(of date: String) -> Int64? {
        var s = date
        guard s.utf8.count == 10, let ms = s.withUTF8({ Timestamp.parseISO8601($0) }) else { return nil }
        return ms / 86_400_000
    }
}

/// A generator failure: the output could not be written.
public struct GeneratorError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// What was written to one file.
public struct FileTruth: Sendable {
    /// Path relative to the output directory.
    public var path: String
    public var lines = 0
    /// Lines by kind, in a fixed order (see `Generator.kindNames`).
    public var counts: [(String, Int)] = []
    public var uncompressedBytes = 0
    public var compressedBytes = 0

    public func count(_ name: String) -> Int { counts.first { $0.0 == name }?.1 ?? 0 }
}

/// The outcome of a run, also written to `truth.json`.
public struct GeneratorSummary: Sendable {
    public var files: [FileTruth]
    /// The simulated persons, by index.
    public var persons: [PersonTruth]
    /// The persons the logs show (see `ObservedPerson`), in order of simulated person.
    public var observed: [ObservedPerson]
    public var orders: [OrderTruth]

    public var lines: Int { files.reduce(0) { $0 + $1.lines } }
    public var compressedBytes: Int { files.reduce(0) { $0 + $1.compressedBytes } }
    public var uncompressedBytes: Int { files.reduce(0) { $0 + $1.uncompressedBytes } }
}

/// `journeys generate`: a seeded, deterministic data set of web, email and chat logs with its
/// ground truth.
///
/// Output (under the directory): `web/access-YYYY-MM-DD.log.gz` (nginx, `log_format` in
/// `web/log_format.txt`), `email/sendgrid-YYYY-MM-DD.json.gz` (SendGrid Event Webhook, one
/// record per line), `chat/chat-YYYY-MM-DD.jsonl.gz` (chat export), `pipeline.yaml` (reads all
/// three, with the shop pipeline's journey sections) and `truth.json` (what `journeys run` with
/// that pipeline must find — persons as the logs link them, purchasers, orders, revenue,
/// persons per funnel stage, first-touch channels, per person — computed from the person
/// model by `Observer`, plus lines per file by kind). Files rotate at local midnight
/// (CET/CEST). The same settings give byte-identical files whatever the thread count: persons
/// are simulated from generators seeded by (seed, person), each file's events are sorted by
/// (time, person, sequence) before rendering.
public enum Generator {
    /// Bumped whenever the output for given settings changes (benchmarks cache on it).
    public static let version = 2

    public static let logFormat =
        #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_visitor_id" "$cookie_customer_id" $request_time"#

    static let webKinds = ["page_views", "assets", "bots", "malformed", "server_errors", "slow_pages", "purchases"]
    static let emailKinds = EmailEvent.allCases.map(\.name)
    static let chatKinds = ["chat_started", "visitor_messages", "agent_messages", "bot_messages", "ratings", "surveys", "closed"]

    static func fileName(_ stream: Stream, day: Int64) -> String {
        let date = ShopClock.dateText(day: day)
        switch stream {
        case .web: return "web/access-\(date).log.gz"
        case .email: return "email/sendgrid-\(date).json.gz"
        case .chat: return "chat/chat-\(date).jsonl.gz"
        }
    }

    public static func run(_ c: GeneratorConfig) throws(GeneratorError) -> GeneratorSummary {
        precondition(c.persons >= 1 && c.days >= 1)
        var midnights: [Int64] = []
        for d in 0...c.days { midnights.append(ShopClock.utc(local: (c.startDay + Int64(d)) * 86_400)) }
        var sends: [Int64] = []
        for d in 0..<c.days where c.days == 1 ? d == 0 : d % 7 == 1 {
            sends.append(ShopClock.utc(local: (c.startDay + Int64(d)) * 86_400 + 9 * 3600))
        }
        let window = PersonSimulator.Window(start: midnights[0], end: midnights[c.days], days: c.days, midnights: midnights, sends: sends)

        // 1. Persons, simulated in shards; shard results are joined in index order.
        let shardSize = 512
        let shardCount = (c.persons + shardSize - 1) / shardSize
        var shards = Engine.map(shardCount, threads: c.threads) { s in
            var evs: [Ev] = []
            var truths: [PersonTruth] = []
            var observed: [ObservedPerson] = []
            var orders: [OrderTruth] = []
            var infos: [PersonInfo] = []
            for i in (s * shardSize)..<min(c.persons, (s + 1) * shardSize) {
                var sim = PersonSimulator(seed: c.seed, index: i, window: window)
                sim.run()
                evs.append(contentsOf: sim.events)
                truths.append(sim.truth)
                observed.append(contentsOf: Observer.observe(person: Int32(i), events: sim.events))
                orders.append(contentsOf: sim.orders)
                infos.append(sim.info)
            }
            return (evs, truths, observed, orders, infos)
        }
        var persons: [PersonInfo] = []
        var truths: [PersonTruth] = []
        var observed: [ObservedPerson] = []
        var orders: [OrderTruth] = []
        persons.reserveCapacity(c.persons)
        truths.reserveCapacity(c.persons)

        // 2. Events into one bucket per file (day × stream).
        let fileCount = c.days * 3
        var buckets = [[Ev]](repeating: [], count: fileCount)
        func fileIndex(_ e: Ev) -> Int {
            let day = Int(ShopClock.localDay(utc: e.time) - c.startDay)
            return day * 3 + e.kind.stream.rawValue
        }
        for s in shards.indices {
            let (evs, t, ob, o, p) = shards[s]
            shards[s] = ([], [], [], [], []) // each shard's events freed once in their buckets
            persons.append(contentsOf: p)
            truths.append(contentsOf: t)
            observed.append(contentsOf: ob)
            orders.append(contentsOf: o)
            for e in evs { buckets[fileIndex(e)].append(e) }
        }
        orders.sort { ($0.time, $0.person) < ($1.time, $1.person) }

        // 3. Noise on the web: crawlers and malformed lines, in proportion to the day's traffic.
        for d in 0..<c.days {
            let n = buckets[d * 3].count
            var r = Xoshiro256(seed: SplitMix64.mix(c.seed ^ 0x4E4F_4953_45, UInt64(d)))
            let span = Int(midnights[d + 1] - midnights[d])
            let bots = Int((Double(n) * 0.0205).rounded())
            let malformed = Int((Double(n) * 0.005).rounded())
            for k in 0..<(bots + malformed) {
                var e = Ev(time: midnights[d] + Int64(r.below(span)), person: -1, seq: Int32(k), kind: k < bots ? .bot : .malformed)
                e.salt = UInt32(truncatingIfNeeded: r.next())
                buckets[d * 3].append(e)
            }
        }

        // 4. Each file: sort, render, compress, write.
        let renderer = Renderer(persons: persons, seed: c.seed)
        for dir in ["web", "email", "chat"] {
            try makeDirectory(c.out + "/" + dir)
        }
        let events = buckets
        let results = Engine.map(fileCount, threads: c.threads) { f -> Result<FileTruth, GeneratorError> in
            let evs = events[f].sorted(by: Ev.before)
            let stream = Stream(rawValue: f % 3)!
            let day = c.startDay + Int64(f / 3)
            var ft = FileTruth(path: fileName(stream, day: day))
            var bytes: [UInt8] = []
            bytes.reserveCapacity(evs.count * (stream == .web ? 300 : 330))
            switch stream {
            case .web:
                var k = [Int](repeating: 0, count: webKinds.count)
                for e in evs {
                    renderer.web(e, into: &bytes)
                    switch e.kind {
                    case .page:
                        k[0] += 1
                        if e.flags & Ev.serverError != 0 { k[4] += 1 }
                        if e.flags & Ev.slow != 0 { k[5] += 1 }
                        if Int(e.page) == Catalog.complete { k[6] += 1 }
                    case .asset: k[1] += 1
                    case .bot: k[2] += 1
                    default: k[3] += 1
                    }
                }
                ft.counts = Array(zip(webKinds, k))
            case .email:
                var k = [Int](repeating: 0, count: emailKinds.count)
                for e in evs {
                    renderer.email(e, into: &bytes)
                    k[Int(e.sub)] += 1
                }
                ft.counts = Array(zip(emailKinds, k))
            case .chat:
                var k = [Int](repeating: 0, count: chatKinds.count)
                for e in evs {
                    renderer.chat(e, into: &bytes)
                    k[Int(e.sub)] += 1
                }
                ft.counts = Array(zip(chatKinds, k))
            }
            ft.lines = evs.count
            ft.uncompressedBytes = bytes.count
            let gz = GzipCompressor.compress(bytes, level: c.level)
            ft.compressedBytes = gz.count
            do throws(GeneratorError) {
                try writeFile(c.out + "/" + ft.path, gz)
                return .success(ft)
            } catch {
                return .failure(error)
            }
        }
        var files: [FileTruth] = []
        for r in results { files.append(try r.get()) }
        // Files of an earlier run with other dates would be read by the pipeline's globs.
        removeStale(c.out, keep: Set(files.map(\.path)))

        let summary = GeneratorSummary(files: files, persons: truths, observed: observed, orders: orders)
        try writeFile(c.out + "/web/log_format.txt", Array((logFormat + "\n").utf8))
        try writeFile(c.out + "/pipeline.yaml", Array(pipelineYAML.utf8))
        try writeFile(c.out + "/truth.json", truthJSON(summary, config: c, window: window, persons: persons))
        return summary
    }

    /// The generated `pipeline.yaml`: the three sources, then the journey sections of
    /// `pipelines/shop.yaml` (identity, sessions, stages, channels), whose stage rules and
    /// identity settings `truth.json`'s persons, funnel and first-touch channels assume.
    /// `GeneratorTests` checks that these sections stay equal to the shop pipeline's.
    static var pipelineYAML: String {
        """
        # Written by `journeys generate`: reads the generated web, email and chat logs.
        # `journeys run --pipeline pipeline.yaml` finds what truth.json says (persons, purchasers,
        # orders, revenue, funnel, first-touch channels); the journey sections are those of
        # pipelines/shop.yaml.
        version: 1
        sources:
          - path: web/access-*.log.gz
            format: nginx
            log_format: '\(logFormat)'
          - path: email/sendgrid-*.json.gz
            format: sendgrid
          - path: chat/chat-*.jsonl.gz
            format: chat

        identity:
          visitor_cookies: [visitor_id]
          customer_cookies: [customer_id]
          customer_params: [cid]
          customer_fields: [customer_id]
          merge_limit: 20
          chat_visitor_is_web_visitor: true

        sessions:
          timeout: 30m

        stages:
          order: [awareness, consideration, decision, purchase, retention, advocacy]
          rules:
            - stage: awareness
            - stage: consideration
              paths: [/products, /pricing, /compare]
            - stage: consideration
              actions: [email_click, chat_message_visitor]
            - stage: decision
              paths: [/cart, /checkout]
            - stage: purchase
              paths: [/checkout/complete]
              order: true
            - stage: advocacy
              paths: [/refer]
            - stage: advocacy
              actions: [chat_survey]
              min_score: 9

        channels:
          internal_hosts: [\(Catalog.host)]

        """
    }

    // MARK: - truth.json

    static func truthJSON(_ s: GeneratorSummary, config c: GeneratorConfig, window: PersonSimulator.Window, persons: [PersonInfo]) -> [UInt8] {
        var o: [UInt8] = []
        o.reserveCapacity(256 * s.persons.count + 200 * s.orders.count + 400 * s.files.count + 4096)
        func key(_ k: String) { o.put("\""); o.put(k); o.put("\":") }
        func money(_ cents: Int64) { o.append(34); o.putCents(Int(cents)); o.append(34) }
        let seen = s.persons.filter { $0.firstSeen != .max }
        let revenue = s.orders.reduce(Int64(0)) { $0 + $1.cents }
        o.put("{\n  "); key("generator"); o.put("\"journeys generate\",\n  ")
        key("generator_version"); o.putInt(version); o.put(",\n  ")
        key("seed"); o.put(String(c.seed)); o.put(",\n  ")
        key("start"); o.put("\""); o.put(ShopClock.dateText(day: c.startDay)); o.put("\",\n  ")
        key("days"); o.putInt(c.days); o.put(",\n  ")
        key("timezone"); o.put("\"CET/CEST (EU rules: +01:00, +02:00 from the last Sunday of March to the last Sunday of October); files rotate at local midnight\",\n  ")
        key("window"); o.put("{\"start\":\""); ShopClock.putISO(window.start, into: &o); o.put("\",\"end\":\"")
        ShopClock.putISO(window.end, into: &o); o.put("\"},\n  ")
        key("newsletter_sends"); o.append(91)
        for (i, t) in window.sends.enumerated() {
            if i > 0 { o.append(44) }
            o.put("{\"campaign\":\""); o.put(Catalog.newsletters[i % Catalog.newsletters.count].name); o.put("\",\"time\":\"")
            ShopClock.putISO(t, into: &o); o.put("\"}")
        }
        o.put("],\n  ")
        // What the logs show: persons as their lines link their keys, with what the shop
        // pipeline's stage rules and sessions give for each (see `Observer`).
        let ob = s.observed
        key("definitions"); o.put("{\n    ")
        key("person_count"); o.put("\"persons as the logs show them: a simulated person whose identity keys never share a line is two persons (see split_persons)\",\n    ")
        key("sessions"); o.put("\"opened and extended by what a person does (page views, email opens/clicks/unsubscribes, chat starts, visitor messages, ratings, surveys), 30 min timeout\",\n    ")
        key("first_touch_channels"); o.put("\"channel group of each person's first session: email, chat, or the landing page's GA4 group; (none) without sessions\",\n    ")
        key("funnel"); o.put("\"persons reaching each stage by the stage rules of pipeline.yaml (those of pipelines/shop.yaml)\",\n    ")
        key("first_channel_counts"); o.put("\"the acquisition channel the model gave each simulated person\"")
        o.put("\n  },\n  ")
        key("person_count"); o.putInt(ob.count); o.put(",\n  ")
        key("simulated_persons"); o.putInt(seen.count); o.put(",\n  ")
        key("split_persons"); o.putInt(Set(ob.filter { $0.parts > 1 }.map(\.person)).count); o.put(",\n  ")
        key("purchasers"); o.putInt(ob.filter { $0.orders > 0 }.count); o.put(",\n  ")
        key("order_count"); o.putInt(s.orders.count); o.put(",\n  ")
        key("revenue"); money(revenue); o.put(",\n  ")
        key("revenue_cents"); o.putInt(Int(revenue)); o.put(",\n  ")
        key("currency"); o.put("\"EUR\",\n  ")
        key("funnel"); o.append(123)
        for (i, st) in ShopStage.allCases.enumerated() {
            if i > 0 { o.append(44) }
            key(st.name); o.putInt(ob.filter { $0.reached(st) }.count)
        }
        o.put("},\n  ")
        key("first_touch_channels"); o.append(123)
        for (i, ch) in FirstTouch.allCases.enumerated() {
            if i > 0 { o.append(44) }
            key(ch.name); o.putInt(ob.filter { $0.firstTouch == ch }.count)
        }
        o.put("},\n  ")
        key("first_channel_counts"); o.append(123)
        for (i, ch) in AcquisitionChannel.allCases.enumerated() {
            if i > 0 { o.append(44) }
            key(ch.name); o.putInt(seen.filter { $0.firstChannel == ch }.count)
        }
        o.put("},\n  ")
        key("touchpoints"); o.putInt(ob.reduce(0) { $0 + Int($1.touchpoints) }); o.put(",\n  ")
        key("sessions"); o.putInt(ob.reduce(0) { $0 + Int($1.sessions) }); o.put(",\n  ")
        key("visits"); o.putInt(seen.reduce(0) { $0 + Int($1.sessions) }); o.put(",\n  ")
        key("chats"); o.putInt(seen.reduce(0) { $0 + Int($1.chats) }); o.put(",\n  ")
        // Totals by kind over all files.
        key("lines"); o.put("{\"total\":"); o.putInt(s.lines)
        for stream in Stream.allCases {
            let prefix = ["web/", "email/", "chat/"][stream.rawValue]
            let fs = s.files.filter { $0.path.hasPrefix(prefix) }
            o.put(",\""); o.put(String(prefix.dropLast())); o.put("\":{\"lines\":"); o.putInt(fs.reduce(0) { $0 + $1.lines })
            for name in [webKinds, emailKinds, chatKinds][stream.rawValue] {
                o.put(",\""); o.put(name); o.put("\":"); o.putInt(fs.reduce(0) { $0 + $1.count(name) })
            }
            o.put("}")
        }
        o.put("},\n  ")
        key("bytes"); o.put("{\"compressed\":"); o.putInt(s.compressedBytes); o.put(",\"uncompressed\":"); o.putInt(s.uncompressedBytes); o.put("},\n  ")
        key("files"); o.put("[\n")
        for (i, f) in s.files.enumerated() {
            o.put("    {\"path\":\""); o.put(f.path); o.put("\",\"lines\":"); o.putInt(f.lines)
            for (n, v) in f.counts { o.put(",\""); o.put(n); o.put("\":"); o.putInt(v) }
            o.put(",\"uncompressed_bytes\":"); o.putInt(f.uncompressedBytes); o.put(",\"compressed_bytes\":"); o.putInt(f.compressedBytes)
            o.put(i + 1 < s.files.count ? "},\n" : "}\n")
        }
        o.put("  ],\n  ")
        key("orders"); o.put("[\n")
        for (i, ord) in s.orders.enumerated() {
            o.put("    {\"person\":"); o.putInt(Int(ord.person)); o.put(",\"customer_id\":\""); persons[Int(ord.person)].putCustomerID(into: &o)
            o.put("\",\"time\":\""); ShopClock.putISO(ord.time, into: &o); o.put("\",\"value\":"); money(ord.cents)
            o.put(",\"currency\":\"EUR\""); o.put(i + 1 < s.orders.count ? "},\n" : "}\n")
        }
        o.put("  ],\n  ")
        key("persons"); o.put("[\n")
        for (i, t) in ob.enumerated() {
            let p = persons[Int(t.person)]
            let model = s.persons[Int(t.person)]
            o.put("    {\"person\":"); o.putInt(Int(t.person))
            o.put(",\"parts\":"); o.putInt(Int(t.parts))
            o.put(",\"visitor_id\":"); if t.hasVisitor { o.append(34); p.putVisitorID(into: &o); o.append(34) } else { o.put("null") }
            o.put(",\"customer_id\":"); if t.hasCustomer { o.append(34); p.putCustomerID(into: &o); o.append(34) } else { o.put("null") }
            o.put(",\"email\":"); if t.hasEmail { o.putJSONString(p.email) } else { o.put("null") }
            o.put(",\"first_channel\":\""); o.put(model.firstChannel.name)
            o.put("\",\"first_touch_channel\":\""); o.put(t.firstTouch.name)
            o.put("\",\"first_seen\":\""); ShopClock.putISO(t.firstSeen, into: &o)
            o.put("\",\"touchpoints\":"); o.putInt(Int(t.touchpoints))
            o.put(",\"sessions\":"); o.putInt(Int(t.sessions))
            o.put(",\"visits\":"); o.putInt(Int(t.visits))
            o.put(",\"stages\":[")
            var firstStage = true
            for st in ShopStage.allCases where t.reached(st) {
                if !firstStage { o.append(44) }
                firstStage = false
                o.append(34); o.put(st.name); o.append(34)
            }
            o.put("],\"orders\":"); o.putInt(Int(t.orders))
            o.put(",\"revenue\":"); money(t.revenueCents)
            o.put(",\"chats\":"); o.putInt(Int(t.chats))
            o.put(",\"emails_delivered\":"); o.putInt(Int(t.emailsDelivered))
            o.put("}")
            o.put(i + 1 < ob.count ? ",\n" : "\n")
        }
        o.put("  ]\n}\n")
        return o
    }

    // MARK: - Files

    static func makeDirectory(_ path: String) throws(GeneratorError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw GeneratorError(path: path, message: "cannot create the directory")
        }
    }

    /// Writes `bytes` to a temporary file beside `path` and renames it into place.
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(GeneratorError) {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw GeneratorError(path: path, message: "cannot create: \(String(cString: strerror(errno)))") }
        var off = 0
        let ok = bytes.withUnsafeBytes { b -> Bool in
            while off < b.count {
                let n = write(fd, b.baseAddress! + off, b.count - off)
                if n < 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return true
        }
        let err = ok ? 0 : errno
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw GeneratorError(path: path, message: "cannot write: \(String(cString: strerror(ok ? errno : err)))")
        }
    }

    static func removeStale(_ out: String, keep: Set<String>) {
        let patterns: [(String, String, String)] = [("web", "access-", ".log.gz"), ("email", "sendgrid-", ".json.gz"), ("chat", "chat-", ".jsonl.gz")]
        for (dir, prefix, suffix) in patterns {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: out + "/" + dir) else { continue }
            for n in names where n.hasPrefix(prefix) && n.hasSuffix(suffix) && !keep.contains(dir + "/" + n) {
                unlink(out + "/" + dir + "/" + n)
            }
        }
    }
}
