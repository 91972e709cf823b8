import Foundation
import JourneysCore
import JourneysStages
import Testing
@testable import JourneysPipeline

/// `journeys run --memory-limit`: touchpoints held as compact records, spilled to unnamed
/// temporary files past half the limit, journeys built partition by partition — with outputs
/// byte for byte those of a run with memory to spare.
@Suite(.serialized) struct MemoryLimitTests {
    /// A generated data set big enough to spill under a 1 MiB limit (about 20,000 touchpoints),
    /// made once for the suite.
    static let data: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("journeys-memlimit-\(getpid())").path
        let r = try! journeys(["generate", "--persons", "1000", "--days", "8", "--seed", "11", "--out", dir])
        precondition(r.status == 0, r.stderr)
        // A second pipeline reads the web logs twice (a file named twice, as when rotated files
        // overlap): every web touchpoint has a repeat to drop, across partitions and spill files.
        let yaml = try! String(contentsOfFile: dir + "/pipeline.yaml", encoding: .utf8)
        let web = yaml.range(of: "  - path: web/")!.lowerBound..<yaml.range(of: "  - path: email/")!.lowerBound
        try! (yaml[..<web.upperBound] + yaml[web] + yaml[web.upperBound...]).write(toFile: dir + "/twice.yaml", atomically: true, encoding: .utf8)
        return dir
    }()

    func outputs(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where !name.hasPrefix(".") {
            var d = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
            if name == "summary.json" { // the run's own duration differs
                let text = String(decoding: d, as: UTF8.self)
                d = Data(text.replacingOccurrences(of: #""elapsed_seconds": [0-9.]+"#, with: #""elapsed_seconds": 0"#, options: .regularExpression).utf8)
            }
            out[name] = d
        }
        return out
    }

    func run(_ extra: [String], out: String) throws -> RunResult {
        try journeys(["run", "--pipeline", Self.data + "/twice.yaml", "--out", out] + extra)
    }

    @Test func aSpillingRunWritesTheSameBytesAsAnInMemoryRun() throws {
        let dir = TempDir()
        let plain = try run([], out: dir.url.path + "/plain")
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(!plain.stderr.contains("temporary files"))
        let expected = try outputs(dir.url.path + "/plain")
        #expect(expected.count == 9) // 7 tables, summary.json, rejects.ndjson
        // Every web log was read twice: the second reading's touchpoint lines are all duplicates.
        let doc = try JSONSerialization.jsonObject(with: expected["summary.json"]!) as! [String: Any]
        let details = (doc["run"] as! [String: Any])["inputs_detail"] as! [[String: Any]]
        let web = Dictionary(grouping: details.filter { ($0["name"] as! String).contains("/web/") }) { $0["name"] as! String }
        #expect(web.count == 8)
        for (name, pair) in web {
            let n = { (d: [String: Any], k: String) in (d[k] as! NSNumber).intValue }
            #expect(pair.count == 2 && n(pair[0], "touchpoints") > 0 && n(pair[0], "duplicates") == 0, "\(name)")
            #expect(pair.count == 2 && n(pair[1], "touchpoints") == 0 && n(pair[1], "duplicates") == n(pair[0], "touchpoints"), "\(name)")
        }

        for (extra, spills) in [(["--memory-limit", "1M"], true), (["--memory-limit", "1M", "--threads", "1"], true),
                                (["--memory-limit", "4G"], false)] {
            let out = dir.url.path + "/" + extra.joined(separator: "_")
            let r = try run(extra, out: out)
            #expect(r.status == 0, "\(extra): \(r.stderr)")
            #expect(r.stderr.contains("went to temporary files; journeys were built in") == spills, "\(extra): \(r.stderr)")
            #expect(try outputs(out) == expected, "\(extra)")
            // The spill files had no name: nothing is left beside the outputs.
            let left = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.contains("spill") || $0.hasPrefix(".journeys-tmp") }
            #expect(left.isEmpty, "\(left)")
        }
    }

    /// Everything that grows with keys and persons (the key table, union-find, the journeys)
    /// counts against --memory-limit: 100,000 distinct visitors (one to three page views each,
    /// one in ten also logged in, one in twenty-five buying) under a 48 MiB limit peak within
    /// it plus the fixed overhead the README states (40 MB: the Swift runtime, thread stacks,
    /// malloc arenas, read and write buffers), and write the same bytes as a run with 4 GiB.
    /// Before the key table and the reports were made compact this run peaked at 126 MB: the
    /// journeys were all held for the reports, the keys as strings in dictionaries.
    @Test func manyDistinctVisitorsStayWithinTheLimit() throws {
        let dir = TempDir()
        let visitors = 100_000
        var lines: [UInt8] = []
        lines.reserveCapacity(30 << 20)
        var state: UInt64 = 7
        func next() -> UInt64 { // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for v in 0..<visitors {
            let visitor = "v-\(String(next(), radix: 16))-\(v)"
            let time = 1_790_000_000 + Int(next() % (14 * 86_400))
            let views = 1 + Int(next() % 3)
            let customer = next() % 10 == 0 ? "c\(v)" : ""
            for i in 0..<views {
                let path = i == views - 1 && next() % 25 == 0 ? "/checkout/complete?value=\(10 + v % 90).50"
                    : ["/", "/products/boots?utm_source=google&utm_medium=cpc", "/pricing", "/cart"][Int(next() % 4)]
                lines += Array(#"{"time":\#(time + i * 60),"request_method":"GET","request_uri":"\#(path)","status":"200","http_user_agent":"Mozilla/5.0","visitor_id":"\#(visitor)","customer_id":"\#(i > 0 ? customer : "")"}"#.utf8)
                lines.append(10)
            }
        }
        let input = dir.write("visitors.json", lines)
        lines = []
        func run(_ limit: String) throws -> (peak: Int, out: [String: Data]) {
            let out = dir.url.path + "/out-" + limit
            let r = try journeys(["run", "--memory-limit", limit, "--max-reject-ratio", "0", "--format", "json_access", "--out", out, input],
                                 environment: ["JOURNEYS_TIMINGS": "1"])
            #expect(r.status == 0, "\(limit): \(r.stderr)")
            #expect(r.stderr.contains("\(visitors) persons"), "\(r.stderr)")
            // The process's own high-water mark (VmHWM, since its exec), printed last: wait4's
            // ru_maxrss would be this test process's, which the child shares until its exec.
            let peak = try #require(r.stderr.firstMatch(of: /now [0-9?]+ MB \(peak ([0-9]+) MB\)/)?.output.1)
            return (Int(peak)!, try outputs(out))
        }
        let small = try run("48M")
        let large = try run("4G")
        #expect(small.peak <= 48 * 1024 / 1000 + 40, "peak \(small.peak) MB") // MB here: 1000 KiB, as /proc counts
        #expect(small.out == large.out)
    }

    /// With the keys' text spilled (1 MiB limit), the key a person is named after is still the
    /// smallest customer id, and blocked keys still link nothing (README "Persons", merge limit
    /// 20): visitor v1 logs in as `cz` and as `ca`; visitor `shared` logs in as 21 customers
    /// (linked to more than 20 customer keys: blocked), and once with no customer.
    @Test func tiesAndBlockedKeysSurviveSpilledKeyText() throws {
        let dir = TempDir()
        var text = ""
        func line(_ second: Int, _ visitor: String, _ customer: String) {
            text += #"{"time":\#(1_790_000_000 + second),"request_method":"GET","request_uri":"/","status":"200","http_user_agent":"Mozilla/5.0","visitor_id":"\#(visitor)","customer_id":"\#(customer)"}"# + "\n"
        }
        line(0, "v1", "")
        line(60, "v1", "cz")
        line(120, "v1", "ca")
        for i in 0..<21 { line(1000 + i, "shared", "s\(i + 10)") }
        line(2000, "shared", "")
        let input = dir.write("keys.json", Array(text.utf8))
        var outs: [[String: Data]] = []
        for limit in ["1M", "4G"] {
            let out = dir.url.path + "/out-" + limit
            let r = try journeys(["run", "--memory-limit", limit, "--format", "json_access", "--out", out, input])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("note: 21 merges blocked: keys linked to more than 20 others of one kind (visitor:shared)"), "\(r.stderr)")
            outs.append(try outputs(out))
        }
        #expect(outs[0] == outs[1])
        // person_id, customer_id, first_seen, last_seen, touchpoints, …
        let rows = String(decoding: outs[0]["journeys.csv"]!, as: UTF8.self).split(separator: "\r\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let byCustomer = Dictionary(uniqueKeysWithValues: rows.map { (String($0[1]), Int($0[4])!) })
        #expect(rows.count == 23)
        #expect(byCustomer["ca"] == 3 && byCustomer["cz"] == nil) // v1, cz and ca are one person, named after ca
        #expect((10..<31).allSatisfy { byCustomer["s\($0)"] == 1 }) // each login is its own person
        #expect(byCustomer[""] == 1) // the blocked visitor's own touchpoint: a person of that key alone
    }

    @Test func aLimitThatIsNotASizeIsAUsageError() throws {
        for bad in ["lots", "12X", "-5M", "0", "100"] { // 100 bytes: under the 1 MiB floor
            let r = try journeys(["run", "--memory-limit", bad, "--out", TempDir().url.path, "fixtures/web/access.log"])
            #expect(r.status == 64, "\(bad): \(r.stderr)")
            #expect(r.stderr.contains("--memory-limit"), "\(bad): \(r.stderr)")
        }
    }

    @Test func aRecordGivesBackEveryField() throws {
        var t = Touchpoint(time: -1_234_567, channel: .chat, action: .custom("wished_upon_a_star"),
                           keys: IdentityKeys(visitor: "v", visitorIsFallback: true), origin: Origin(input: 3, line: 1 << 40, offset: 99))
        t.path = "/ünïcode/path"
        t.query = [QueryParam("a", ""), QueryParam("utm_source", "x&y")]
        t.campaign = Campaign(source: "s", medium: "m", name: "n", term: "t", content: "c")
        t.clickID = ClickID(kind: "gclid", value: "AbC")
        t.referrerHost = "example.org"
        t.status = -2
        t.responseTimeMs = 1_500_000
        t.device = .tablet
        t.value = 12.5
        t.currency = "EUR"
        t.score = 0
        t.text = String(repeating: "x", count: 300)
        t.conversation = String(repeating: "c", count: 300) // a length over one varint byte
        t.eventID = "ev-1"
        var strings = TouchpointColumns.Strings()
        let row = TouchpointColumns.Row(t, strings: &strings)
        let header = TouchpointRecord.Header(origin: t.origin, member: 7, lineTouchpoints: 2,
                                             slots: KeySlots(-1, 5, 300, -1))
        /// Writes `row` as a record and reads it back.
        func roundTrip(_ row: TouchpointColumns.Row, rest: UInt64, header: TouchpointRecord.Header) throws -> (TouchpointColumns.Row, UInt64, length: Int) {
            var record: [UInt8] = []
            TouchpointRecord.append(header: header, row: row, rest: rest, to: &record)
            // The length prefix, then the record.
            var n = 0, shift = 0, at = 0
            while true { let b = record[at]; at += 1; n |= Int(b & 0x7F) << shift; if b < 0x80 { break }; shift += 7 }
            #expect(n == record.count - at)
            return record.withUnsafeBytes { raw in
                var r = TouchpointRecord.Reader(UnsafeRawBufferPointer(rebasing: raw[at...]))
                let h = r.header()
                #expect(h.origin == header.origin && h.member == header.member && h.lineTouchpoints == 2)
                #expect(h.slots == KeySlots(-1, 5, 300, -1))
                let back = r.body(origin: h.origin)
                #expect(r.at == n)
                return (back.0, back.rest, n)
            }
        }
        /// The rest hash of a touchpoint, as the run computes it from a chunk's buffer.
        func restHash(_ t: Touchpoint) -> UInt64 {
            var b = TouchpointBuffer()
            b.emit(t)
            return TouchpointRecord.restHash(b, 0)
        }
        let rest = restHash(t)
        #expect(rest != 0)
        var other = t
        other.query[0] = QueryParam("a", "1")
        #expect(restHash(other) != rest)
        other = t
        other.text! += "y"
        #expect(restHash(other) != rest)
        other = t
        other.query = [QueryParam("a", "utm_source"), QueryParam("x&y", "")] // the same bytes, cut elsewhere
        #expect(restHash(other) != rest)
        other.query = []
        other.text = nil
        #expect(restHash(other) == 0)
        let (back, backRest, _) = try roundTrip(row, rest: rest, header: header)
        #expect(back == row && backRest == rest)
        var expected = t
        expected.keys = IdentityKeys(visitorIsFallback: true) // keys travel as slots,
        expected.query = [] // query and text as a hash
        expected.text = nil
        #expect(back.touchpoint(strings) == expected)
        // Ids and numbers at their largest: every varint at its longest, a record over 127 bytes.
        var big = row
        for k in [\TouchpointColumns.Row.path, \.referrer, \.source, \.medium, \.campaign, \.term, \.content, \.clickKind,
                  \.clickValue, \.currency, \.conversation, \.eventID, \.actionName] { big[keyPath: k] = UInt32.max }
        big.responseMs = Int32.max
        big.time = Int64.min
        var bigHeader = header
        bigHeader.origin = Origin(input: Int32.max, line: Int64.max, offset: Int64.max)
        bigHeader.member = Int.max
        big.input = Int32.max
        big.line = Int64.max
        big.offset = Int64.max
        let (bigBack, bigRest, length) = try roundTrip(big, rest: rest, header: bigHeader)
        #expect(bigBack == big && bigRest == rest && length > 127)
    }

    @Test func aStoreReadsBackAcrossBlocksFromItsFile() throws {
        let dir = TempDir()
        let store = SpillStore(directory: dir.url.path)
        var expected: [[UInt8]] = []
        for i in 0..<20_000 { // records of 1 to ~2,000 bytes, about 20 MB: several 4 MiB read blocks
            let rec = [UInt8](repeating: UInt8(i % 251), count: 1 + (i * 7919) % 2000)
            var o: [UInt8] = []
            Varint.append(UInt64(rec.count), to: &o)
            o += rec
            try store.append(o)
            expected.append(rec)
            if i == 100 { try store.spill() }
        }
        #expect(store.isSpilled)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty) // unlinked at once
        var i = 0
        try store.forEachRecord { b in
            if i < expected.count, Array(b) != expected[i] { Issue.record("record \(i) differs") }
            i += 1
        }
        #expect(i == expected.count)
    }

    @Test func aConservationFailureIsAnInternalErrorAndPublishesNothing() throws {
        let dir = TempDir()
        let out = dir.url.path
        #expect(try journeys(["run", "--out", out, "fixtures/web/access.log"]).status == 0)
        let before = try outputs(out)
        let r = try journeys(["run", "--out", out, "fixtures/web/access.log"], environment: ["JOURNEYS_TEST_FAULT": "conservation"])
        #expect(r.status == 70, "\(r.stderr)")
        #expect(r.stderr.contains("journeys: error: internal error: the lines of fixtures/web/access.log do not add up"))
        #expect(r.stderr.contains("nothing was published"))
        #expect(try outputs(out) == before)
    }
}
