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
            return (x.at, x.percent40, x.dots, x.colons)
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
        #expect(PIIText.Shape("1.2.3.4").mayHoldText && PIIText.Shape("::1").mayBeIP && !PIIText.Shape("::1").mayHoldText)
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
        // A web log without emails needs no key (the fallback visitor is already a hash).
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
