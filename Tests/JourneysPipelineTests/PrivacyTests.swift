import Foundation
@testable import JourneysPipeline
import JourneysCore
import Testing

/// Emails and IPs leave only as keyed pseudonyms (RELIABILITY.md, Privacy).
@Suite struct PrivacyTests {
    let keyA = PIIPolicy(.pseudonymise(key: Array("A-key-that-is-long-enough-0123456789".utf8)))
    let keyB = PIIPolicy(.pseudonymise(key: Array("B-key-that-is-long-enough-0123456789".utf8)))

    @Test func pseudonymsAreStablePerKeyAndDifferAcrossKeys() {
        let a1 = keyA.email("Ana.Lima@Example.com")
        #expect(a1 == keyA.email("ana.lima@example.com "), "compared lower-cased and trimmed")
        #expect(a1 != keyB.email("ana.lima@example.com"))
        #expect(a1.hasPrefix("e_") && a1.utf8.count == 34 && a1.dropFirst(2).allSatisfy(\.isHexDigit))
        #expect(keyA.ip("198.51.100.23").hasPrefix("i_"))
        #expect(keyA.ip("198.51.100.23") == keyA.ip("198.51.100.23"))
        #expect(keyA.ip("198.51.100.23") != keyB.ip("198.51.100.23"))
        #expect(keyA.email("x@example.com") != keyA.ip("x@example.com"), "emails and IPs have separate pseudonym spaces")
    }

    /// The one-pass prefilter: which values may hold an email or IP (counted by hand).
    @Test func shapeCountsWhatAnEmailOrIPNeeds() {
        func shape(_ s: String) -> (Bool, Bool, Int, Int) {
            let x = PIIText.Shape(s)
            return (x.at, x.escaped, x.dots, x.colons)
        }
        #expect(shape("") == (false, false, 0, 0))
        #expect(shape("/products/blue-shoe") == (false, false, 0, 0))
        #expect(shape("a@b.c") == (true, false, 1, 0))
        #expect(shape("bo%40example.org") == (false, true, 1, 0))
        #expect(shape("%%40") == (false, true, 0, 0), "the second % starts the match")
        #expect(shape("100%4") == (false, false, 0, 0), "cut short at the end")
        #expect(shape("%41%40") == (false, true, 0, 0))
        #expect(shape("10.0.0.7") == (false, false, 3, 0))
        #expect(shape("2001:db8::1") == (false, false, 0, 3))
        #expect(!PIIText.Shape("C-1001").mayHoldAny)
        #expect(PIIText.Shape("1.2.3.4").mayHoldText && PIIText.Shape("::1").mayBeIP && PIIText.Shape("a ::1").mayHoldText)
        #expect(shape("2001%3adb8%3A%3A1") == (false, true, 0, 0), "an encoded colon")
        #expect(!PIIText.Shape("10:20").mayHoldText, "one colon is no IPv6 address")
        // Past the 16 bytes a small string holds, and with multi-byte characters.
        #expect(shape("café.crème.brûlée.example.org:443") == (false, false, 4, 1))
    }

    @Test func emailsAndIPsInsideTextAreReplaced() {
        let r = PIIText.replace("mail me at ana@example.com or visit from 10.0.0.7, not v1.2.3", policy: keyA)
        #expect(r == "mail me at \(keyA.email("ana@example.com")) or visit from \(keyA.ip("10.0.0.7")), not v1.2.3")
        #expect(PIIText.replace("?email=bo%40example.org&x=1", policy: keyA) == "?email=\(keyA.email("bo@example.org"))&x=1")
        #expect(PIIText.replace("version 1.2.3.4.5 and @handle and a@b", policy: keyA) == nil)
        #expect(PIIText.isEmail(" ana@example.com") && !PIIText.isEmail("C-1001") && !PIIText.isEmail("ana@localhost"))
        #expect(PIIText.isIP("2001:db8::1") && PIIText.isIP("192.0.2.1") && !PIIText.isIP("1.2.3") && !PIIText.isIP("C-1001"))
    }

    @Test func ipv6AfterADotAndNonASCIIAddressesAreFound() {
        func r(_ s: String) -> String? { PIIText.replace(s, policy: keyA) }
        let ip = keyA.ip, email = keyA.email
        #expect(r("from 2001:db8::1 and [2001:db8::7]:443") == "from \(ip("2001:db8::1")) and [\(ip("2001:db8::7"))]:443")
        #expect(r("x 2001:0db8:85a3:0000:0000:8a2e:0370:7334.") == "x \(ip("2001:0db8:85a3:0000:0000:8a2e:0370:7334")).")
        #expect(r("fe80::1%eth0 ::ffff:198.51.100.9") == "\(ip("fe80::1%eth0")) \(ip("::ffff:198.51.100.9"))")
        // A full address with a load balancer's client port after it (found by planting one in
        // the alb preset's client:port).
        #expect(r("2001:0db8:85a3:0000:0000:8a2e:0370:7334:4711 x") == "\(ip("2001:0db8:85a3:0000:0000:8a2e:0370:7334")):4711 x")
        #expect(r("2001%3a0db8%3a85a3%3a0000%3a0000%3a8a2e%3a0370%3a7334:4711") == "\(ip("2001:0db8:85a3:0000:0000:8a2e:0370:7334")):4711")
        #expect(r("ip=2001%3Adb8%3A%3A5") == "ip=\(ip("2001:db8::5"))")
        #expect(r("host.198.51.100.77") == "host.\(ip("198.51.100.77"))")
        #expect(r("mail müller@exämple.de—ok") == "mail \(email("müller@exämple.de"))—ok")
        #expect(r("m%C3%BCller%40ex%C3%A4mple.de") == email("m%C3%BCller@ex%C3%A4mple.de"))
        // Look-alikes stay: times, MAC addresses, hex ids, versions, C++ scopes.
        #expect(r("at 10:20:30, 12:34:56.789 aa:bb:cc:dd:ee:ff deadbeefcafe0123 v1.2.3 1.2.3.4.5 std::vector 2026-10-02T08:47:08Z") == nil)
        #expect(PIIText.isIP("fe80::1%eth0") && !PIIText.isIP("10:20:30"))
    }

    /// Only the addresses change: every other `%40` / `%3A` (either case) of the value, or of a
    /// rejected line's raw text, stays as read (README, "Personal data and hostile text").
    @Test func escapesOutsideTheAddressesStayAsRead() {
        func r(_ s: String) -> String? { PIIText.replace(s, policy: keyA) }
        let ip = keyA.ip, email = keyA.email
        #expect(r("q=a%3Ab&e=x%40y.com") == "q=a%3Ab&e=\(email("x@y.com"))")
        #expect(r("%40home ip=2001%3adb8%3A%3A5 t=10%3A20") == "%40home ip=\(ip("2001:db8::5")) t=10%3A20")
        #expect(r("a%3ab 10.0.0.7 c%40d") == "a%3ab \(ip("10.0.0.7")) c%40d")
        #expect(r("to=x%3Ay m%C3%BCller%40ex%C3%A4mple.de, %3A") == "to=x%3Ay \(email("m%C3%BCller@ex%C3%A4mple.de")), %3A")
        #expect(r("a%3Ab%40c") == nil, "escapes but no address: nothing changes")
        // An address right after another (whose bytes its local part would reach back into): both
        // replaced, no byte of either left in clear and none of the first pseudonym taken back.
        #expect(r("1.2.3.4@example.com") == ip("1.2.3.4") + email("1.2.3.4@example.com"))
        #expect(r("a@b.com@c.com!") == email("a@b.com") + email("b.com@c.com") + "!")

        let raw = [0xFF] + Array(" q=a%3Ab%40c e=x%40y.com ::1 %3a".utf8)
        var reject = RejectRecord(origin: Origin(input: 0, line: 1, offset: 0), reason: .malformed, detail: "", raw: raw, length: Int64(raw.count))
        #expect(keyA.apply(&reject))
        let expected = [0xFF] + Array(" q=a%3Ab%40c e=\(email("x@y.com")) \(ip("::1")) %3a".utf8)
        #expect(reject.raw == expected && reject.length == Int64(expected.count))
    }

    @Test func fallbackVisitorsAndRejectedLinesArePseudonymised() {
        var t = Touchpoint(time: 0, channel: .web, action: .custom("ana@example.com"), origin: Origin(input: 0, line: 1, offset: 0))
        t.keys = IdentityKeys(visitor: "ipua-0123456789abcdef", visitorIsFallback: true)
        t.currency = "ANA@EXAMPLE.COM"
        t.query = [QueryParam("10.0.0.7", "1")]
        var u = t
        #expect(keyA.apply(&u))
        #expect(u.keys.visitor == PIIPolicy.pseudonym("ipua-0123456789abcdef", prefix: "v_", key: Array("A-key-that-is-long-enough-0123456789".utf8)))
        #expect(u.keys.visitor != keyB.fallbackVisitor("ipua-0123456789abcdef"))
        #expect(u.action == .custom(keyA.email("ana@example.com")) && u.currency == keyA.email("ana@example.com"))
        #expect(u.query[0].name == keyA.ip("10.0.0.7"))
        var v = t
        #expect(!PIIPolicy(.refuse).apply(&v), "a fallback visitor needs a key")
        #expect(PIIPolicy(.withhold).apply(&v) && v.keys.visitor == nil)

        let raw = Array("10.0.0.7 - bo@example.org \u{FF}".utf8) + [0xFF]
        var reject = RejectRecord(origin: t.origin, reason: .malformed, detail: "bad user bo@example.org", raw: raw, length: Int64(raw.count))
        var kept = reject
        #expect(!PIIPolicy(.refuse).apply(&kept) && kept == reject)
        #expect(keyA.apply(&reject))
        let expected = Array("\(keyA.ip("10.0.0.7")) - \(keyA.email("bo@example.org")) \u{FF}".utf8) + [0xFF]
        #expect(reject.raw == expected && reject.length == Int64(expected.count))
        #expect(reject.detail == "bad user \(keyA.email("bo@example.org"))")
    }

    @Test func touchpointKeysAndFieldsArePseudonymised() {
        var t = Touchpoint(time: 0, channel: .email, action: .emailClick, origin: Origin(input: 0, line: 1, offset: 0))
        t.keys.email = "ana@example.com"
        t.keys.customer = "Ana@Example.com"
        t.keys.chatVisitor = "203.0.113.9"
        t.text = "reply to ana@example.com"
        t.query = [QueryParam("e", "ana@example.com")]
        var u = t
        #expect(keyA.apply(&u))
        #expect(u.keys.email == keyA.email("ana@example.com") && u.keys.customer == u.keys.email)
        #expect(u.keys.chatVisitor == keyA.ip("203.0.113.9"))
        #expect(u.text == "reply to \(keyA.email("ana@example.com"))" && u.query[0].value == u.keys.email)
        var v = t
        #expect(!PIIPolicy(.refuse).apply(&v), "no key: refused")
        #expect(v == t)
        #expect(PIIPolicy(.clear).apply(&v) && v == t)
    }

    @Test func keyComesFromTheEnvironmentOrAPrivateKeyFile() throws {
        let dir = TempDir()
        var config = PipelineConfig()
        #expect(throws: PIIError.self) { try PIIPolicy.resolve(.pseudonymise, pipeline: config, environment: ["JOURNEYS_PII_KEY": "short"]) }
        if case .refuse = try PIIPolicy.resolve(.pseudonymise, pipeline: config, environment: [:]).mode {} else { Issue.record("no key: refuse") }
        if case .clear = try PIIPolicy.resolve(.clear, pipeline: config, environment: [:]).mode {} else { Issue.record("--pii clear") }

        let keyPath = dir.write("pii.key", Array("0123456789abcdef0123456789abcdef\n".utf8))
        chmod(keyPath, 0o644)
        config = try PipelineConfig.parse("version: 1\nprivacy: {key_file: pii.key}\n", file: dir.url.appendingPathComponent("p.yaml").path)
        #expect(config.privacy.keyFile == keyPath)
        do {
            _ = try PIIPolicy.resolve(.pseudonymise, pipeline: config, environment: [:])
            Issue.record("a world-readable key file is refused")
        } catch { #expect(error.message.contains("chmod 600") && !error.message.contains("0123456789abcdef")) }
        chmod(keyPath, 0o600)
        guard case .pseudonymise(let key) = try PIIPolicy.resolve(.pseudonymise, pipeline: config, environment: [:]).mode else {
            Issue.record("key file read"); return
        }
        #expect(key == Array("0123456789abcdef0123456789abcdef".utf8), "one trailing newline is not part of the key")
        let short = dir.write("short.key", Array("tooshort".utf8))
        chmod(short, 0o600)
        #expect(throws: PIIError.self) { try PIIPolicy.readKeyFile(short) }
        #expect(throws: PIIError.self) { try PIIPolicy.readKeyFile(dir.url.appendingPathComponent("missing").path) }
    }
}

/// The shop pipeline end to end: no email address or IPv4 address of its logs in any output.
@Suite(.serialized) struct PrivacyCLITests {
    /// Every email address and IPv4 address in the shop pipeline's demo logs.
    static func matches(_ text: String) throws -> Set<String> {
        var found = Set<String>()
        let email = try NSRegularExpression(pattern: "[A-Za-z0-9._%+-]+(@|%40)[A-Za-z0-9.-]+\\.[A-Za-z]{2,}")
        let ipv4 = try NSRegularExpression(pattern: "\\b[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\b")
        for re in [email, ipv4] {
            for m in re.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                found.insert(String(text[Range(m.range, in: text)!]).lowercased().replacingOccurrences(of: "%40", with: "@"))
            }
        }
        return found
    }

    func demoPII() throws -> Set<String> {
        var found = Set<String>()
        for sub in ["web", "email", "chat"] {
            let dir = repo.appendingPathComponent("fixtures/demo/\(sub)")
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".gz") {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/bin/gzip")
                p.arguments = ["-dc", dir.appendingPathComponent(name).path]
                let pipe = Pipe()
                p.standardOutput = pipe
                try p.run()
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                found.formUnion(try Self.matches(String(decoding: data, as: UTF8.self)))
            }
        }
        return found
    }

    @Test func noEmailOrIPOfTheLogsInAnyOutput() throws {
        let pii = try demoPII()
        #expect(pii.contains { $0.contains("@") } && pii.contains { !$0.contains("@") }, "the demo logs hold emails and IPs")
        let dir = TempDir()
        let r = try journeys(["run", "--quiet", "--pipeline", "pipelines/shop.yaml", "--out", dir.url.path])
        #expect(r.status == 0, "\(r.stderr)")
        let ev = try journeys(["events", "--quiet", "--pipeline", "pipelines/shop.yaml"])
        #expect(ev.status == 0 && ev.stdout.contains("\"email\":\"e_"), "events carry email pseudonyms")
        var outputs: [(String, String)] = [("events", ev.stdout + ev.stderr), ("stderr", r.stderr)]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.url.path) where name != "rejects.ndjson" {
            let data = try Data(contentsOf: dir.url.appendingPathComponent(name))
            outputs.append((name, String(decoding: data, as: UTF8.self)))
        }
        #expect(outputs.count >= 8)
        for (name, text) in outputs {
            // Every email-like or IPv4-like run of the output, against those of the logs.
            for value in try Self.matches(text).intersection(pii) { Issue.record("\(name) holds \(value) in clear") }
        }
        // The rejects file keeps raw lines (personal data): owner-only.
        let rejects = dir.url.appendingPathComponent("rejects.ndjson").path
        if FileManager.default.fileExists(atPath: rejects) {
            let mode = (try FileManager.default.attributesOfItem(atPath: rejects)[.posixPermissions] as? Int) ?? 0
            #expect(mode & 0o077 == 0)
        }
    }

    @Test func withoutAKeyARunThatWouldWriteEmailsRefuses() throws {
        let dir = TempDir()
        let r = try journeys(["run", "--quiet", "--pipeline", "pipelines/shop.yaml", "--out", dir.url.path], piiKey: nil)
        #expect(r.status == 78)
        #expect(r.stderr.contains("JOURNEYS_PII_KEY") && r.stderr.contains("--pii clear"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("journeys.csv").path), "nothing published")
        // events, the inspection tool, leaves the addresses out instead (and says so).
        let ev = try journeys(["events", "--quiet", "--pipeline", "pipelines/shop.yaml"], piiKey: nil)
        #expect(ev.status == 0 && !ev.stdout.isEmpty && !ev.stdout.contains("@"), "\(ev.stderr)")
        #expect(ev.stderr.contains("left out") && ev.stderr.contains("JOURNEYS_PII_KEY"))
        #expect(try Self.matches(ev.stdout).isEmpty, "events wrote an email or IP address")

        let clear = try journeys(["run", "--quiet", "--pii", "clear", "--pipeline", "pipelines/shop.yaml", "--out", dir.url.path], piiKey: nil)
        #expect(clear.status == 0, "\(clear.stderr)")
        let evClear = try journeys(["events", "--quiet", "--pii", "clear", "--pipeline", "pipelines/shop.yaml"], piiKey: nil)
        #expect(evClear.status == 0 && evClear.stdout.contains("@"))
        // events needs no key for a web log without emails (it leaves the fallback visitor key out).
        let web = try journeys(["events", "--quiet", "--format", "common", "fixtures/web/common.log"], piiKey: nil)
        #expect(web.status == 0, "\(web.stderr)")
    }

    @Test func aWorldReadableKeyFileIsAConfigurationError() throws {
        let dir = TempDir()
        let key = dir.write("pii.key", Array(repeating: 0x6B, count: 40))
        chmod(key, 0o644)
        let pipeline = dir.write("p.yaml", Array("version: 1\nprivacy: {key_file: pii.key}\n".utf8))
        let r = try journeys(["events", "--quiet", "--pipeline", pipeline, "--format", "sendgrid", "fixtures/email/sendgrid_events.ndjson"], piiKey: nil)
        #expect(r.status == 78 && r.stderr.contains("chmod 600"), "\(r.stderr)")
        chmod(key, 0o600)
        let ok = try journeys(["events", "--quiet", "--pipeline", pipeline, "--format", "sendgrid", "fixtures/email/sendgrid_events.ndjson"], piiKey: nil)
        #expect(ok.status == 0 && ok.stdout.contains("\"email\":\"e_") && !ok.stderr.contains("kkkk"), "\(ok.stderr)")
    }
}

/// The IP + user-agent fallback visitor key is personal data: keyed like the others, so the
/// `person_id` it gives cannot be matched by enumerating addresses (README, "Personal data").
@Suite(.serialized) struct FallbackVisitorPrivacyTests {
    static let agent = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
    /// One cookieless page view from 198.51.37.201.
    static let log = Array("198.51.37.201 - - [10/Oct/2026:09:14:03 +0200] \"GET /products/boots HTTP/1.1\" 200 512 \"-\" \"\(agent)\"\n".utf8)

    /// The `person_id` of a fallback visitor as an attacker computes it for one address, from
    /// the unkeyed definitions: `ipua-` + FNV-1a of "ip\0agent", then `p` + FNV-1a of "visitor\0key".
    static func unkeyedPersonID(_ ip: String) -> String {
        var h = FNV1a64()
        h.combine(ip)
        h.combine(byte: 0)
        h.combine(agent)
        var p = FNV1a64()
        p.combine("visitor")
        p.combine(byte: 0)
        p.combine("ipua-" + h.hex)
        return "p" + p.hex
    }

    /// The person ids of a run over `log`, read from journeys.csv.
    func personIDs(_ extra: [String], piiKey: String?) throws -> (status: Int32, ids: [String], stderr: String) {
        let dir = TempDir()
        let input = dir.write("access.log", Self.log)
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--quiet", "--format", "combined", "--out", out] + extra + [input], piiKey: piiKey)
        guard r.status == 0 else { return (r.status, [], r.stderr) }
        let rows = parseCSV(String(decoding: try Data(contentsOf: URL(fileURLWithPath: out + "/journeys.csv")), as: UTF8.self)) ?? []
        return (r.status, rows.dropFirst().map { $0[0] }, r.stderr)
    }

    @Test func aFallbackPersonIDIsNotFoundByEnumeratingASlash16() throws {
        let keyed = try personIDs([], piiKey: testPIIKey)
        #expect(keyed.status == 0 && keyed.ids.count == 1, "\(keyed.stderr)")
        var candidates = Set<String>()
        for a in 0..<256 { for b in 0..<256 { candidates.insert(Self.unkeyedPersonID("198.51.\(a).\(b)")) } }
        #expect(!candidates.contains(keyed.ids.first ?? ""), "the client IP can be recovered from person_id")
        // Another key, another id: it depends on the key.
        let other = try personIDs([], piiKey: "another-key-that-is-long-enough-0123456789")
        #expect(other.ids.count == 1 && other.ids != keyed.ids)
        // --pii clear writes it as read, on purpose: the unkeyed hash (which this enumeration finds).
        let clear = try personIDs(["--pii", "clear"], piiKey: nil)
        #expect(clear.ids == [Self.unkeyedPersonID("198.51.37.201")], "\(clear.stderr)")
    }

    @Test func withoutAKeyRunRefusesAndEventsLeavesTheFallbackKeyOut() throws {
        let refused = try personIDs([], piiKey: nil)
        #expect(refused.status == 78 && refused.stderr.contains("JOURNEYS_PII_KEY"), "\(refused.stderr)")
        let ev = try journeys(["events", "--quiet", "--format", "combined"], stdin: Self.log, piiKey: nil)
        #expect(ev.status == 0 && ev.stdout.contains("\"action\":\"page_view\""), "\(ev.stderr)")
        #expect(!ev.stdout.contains("\"visitor\"") && !ev.stdout.contains("ipua-"), "\(ev.stdout)")
        let keyed = try journeys(["events", "--quiet", "--format", "combined"], stdin: Self.log)
        #expect(keyed.stdout.contains("\"visitor\":\"v_") && !keyed.stdout.contains("ipua-"), "\(keyed.stdout)")
    }
}
