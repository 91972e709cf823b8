import Foundation
import JourneysIO
import JourneysCore
@testable import JourneysPipeline
import Testing

/// What `journeys run` and `journeys events` make of a gzip member that fails its check and of
/// bytes between members that are not a member (README "Damaged inputs"). The gzip bytes are
/// made here with zlib (`GzipCompressor`), then damaged.
@Suite(.serialized) struct DamagedGzipTests {
    static let agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0"

    /// A combined-format line for page `path`, `second` seconds after 10:00.
    static func web(_ path: String, _ second: Int) -> String {
        String(format: "192.0.2.1 - - [12/Oct/2026:%02d:%02d:%02d +0000] \"GET %@ HTTP/1.1\" 200 512 \"-\" \"%@\"",
               10 + second / 3600, second / 60 % 60, second % 60, path, agent)
    }

    static func member(_ lines: [String]) -> [UInt8] {
        GzipCompressor.compress(Array((lines.joined(separator: "\n") + "\n").utf8))
    }

    func summaryRun(_ dir: String) throws -> [String: Any] {
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as! [String: Any]
        return doc["run"] as! [String: Any]
    }

    func int(_ v: Any?) -> Int { (v as? NSNumber)?.intValue ?? -1 }
    func counts(_ v: Any?) -> [String: Int] { ((v as? [String: Any]) ?? [:]).mapValues { int($0) } }

    /// Member 2 of `b.log.gz` fails its CRC check. Its 53 lines — 2 page views, a blank line and
    /// 50 lines that would be rejected `malformed` — are one `damaged_input` entry without text,
    /// and do not count toward --max-reject-ratio. The inputs before and after keep their rejects.
    @Test func everyLineOfAMemberThatFailsItsCheckIsDamagedInputAndNothingElse() throws {
        let dir = TempDir()
        let a = (0..<100).map { Self.web("/a\($0)", $0) } + ["a line that is not a log line"]
        let c = (0..<100).map { Self.web("/c\($0)", 200 + $0) } + ["c line that is not a log line"]
        _ = dir.write("a.log", Array((a.joined(separator: "\n") + "\n").utf8))
        _ = dir.write("c.log", Array((c.joined(separator: "\n") + "\n").utf8))
        let m1 = Self.member([Self.web("/b1", 100), Self.web("/b2", 101)])
        var m2 = Self.member([Self.web("/b3", 102), "", Self.web("/b4", 103)] + (0..<50).map { "secret-ish garbage line \($0)" })
        m2[m2.count - 8] ^= 0xFF // the CRC-32
        _ = dir.write("b.log.gz", m1 + m2)
        let out = dir.url.appendingPathComponent("out").path
        let inputs = ["a.log", "b.log.gz", "c.log"].map { dir.url.appendingPathComponent($0).path }
        let r = try journeys(["run", "--max-reject-ratio", "0.01", "--format", "combined", "--out", out] + inputs)
        // 2 malformed lines of 101 + 55 + 101 read: under 1 %. Damage: exit 3, outputs published.
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("b.log.gz:2 (byte "), "\(r.stderr)")
        #expect(r.stderr.contains("gzip member 2): checksum: incorrect data check; discarded the 53 lines of the damaged member, kept the lines before it"), "\(r.stderr)")
        let run = try summaryRun(out)
        let details = try #require(run["inputs_detail"] as? [[String: Any]])
        #expect(details.count == 3)
        let b = details[1]
        #expect(int(b["lines"]) == 55 && int(b["touchpoints"]) == 2, "\(b)")
        #expect(counts(b["skipped"]).isEmpty && counts(b["rejected"]) == ["damaged_input": 53], "\(b)")
        #expect(counts(run["rejects"]) == ["malformed": 2, "damaged_input": 53], "\(run)")
        #expect(int(run["touchpoints"]) == 202, "\(run)")

        let rejects = try String(contentsOfFile: out + "/rejects.ndjson", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(rejects.count == 3, "\(rejects)")
        #expect(rejects.first?.contains(#""line":101,"offset""#) == true && rejects.first?.contains("a.log") == true, "\(rejects)")
        #expect(rejects.dropFirst().first?.contains(#""line":3,"reason":"damaged_input""#) == true, "\(rejects)")
        #expect(rejects.dropFirst().first?.hasSuffix(#"lines 3–55 discarded (2 of them had touchpoints)","lines":53}"#) == true, "\(rejects)")
        #expect(rejects.last?.contains(#""line":101,"offset""#) == true && rejects.last?.contains("c.log") == true, "\(rejects)")
        #expect(!rejects.joined().contains("garbage line"), "no text of the damaged member is kept")
    }

    /// A SendGrid webhook array in a damaged member whose one event was rejected on its own (a
    /// line that also gave a touchpoint, counted under `rejected_events`, not as a rejected line):
    /// taking the member back takes that event back too, and the lines still add up.
    @Test func aDamagedMembersRejectedEventsAreTakenBackToo() throws {
        let dir = TempDir()
        let open = #"{"email":"ana@example.com","timestamp":1791807000,"event":"open","sg_event_id":"b3Blbi0x"}"#
        let array = #"[{"email":"bo@example.com","timestamp":1791807100,"event":"open","sg_event_id":"b3Blbi0y"},{"email":"bo@example.com","timestamp":1791807200,"event":"machine_open","sg_event_id":"bWFjaGluZQ"}]"#
        let m1 = Self.member([open])
        var m2 = Self.member([array, open.replacingOccurrences(of: "b3Blbi0x", with: "b3Blbi0z")])
        m2[m2.count - 8] ^= 0xFF // the CRC-32
        let input = dir.write("sendgrid.json.gz", m1 + m2)
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--format", "sendgrid", "--out", out, input])
        // Member 2's two lines are damaged_input; its rejected event is gone with them.
        #expect(r.status == 3, "\(r.stderr)")
        let run = try summaryRun(out)
        let detail = try #require((run["inputs_detail"] as? [[String: Any]])?.first)
        #expect(int(detail["lines"]) == 3 && int(detail["touchpoints"]) == 1, "\(detail)")
        #expect(counts(detail["rejected"]) == ["damaged_input": 2], "\(detail)")
        #expect(counts(detail["rejected_events"]).isEmpty, "\(detail)")
        #expect(counts(run["rejected_events"]).isEmpty, "\(run)")
    }

    /// Damaged lines are out of the reject ratio altogether, not only out of its numerator: 50
    /// rejects among 100 readable lines are over 0.01 however many damaged lines came with them.
    @Test func damagedLinesDoNotDiluteTheRejectRatio() {
        var s = InputSummary(name: "a.log.gz")
        s.lines = 10_100
        s.touchpointLines = 50
        s.rejects = [.damagedInput: 10_000, .malformed: 50]
        #expect(RejectRatio.check([s], max: 0.01)?.hasPrefix("50 of 100 lines rejected (ratio 0.5), over --max-reject-ratio 0.01") == true)
        #expect(RejectRatio.check([s], max: 0.5) == nil)
    }

    /// Decoding stops at a member that fails its check; the warning says how much of the input
    /// was left unread after it.
    @Test func whatAFailedMemberLeavesUnreadIsCounted() throws {
        let dir = TempDir()
        let m1 = Self.member([Self.web("/u1", 0)])
        var m2 = Self.member([Self.web("/u2", 1)])
        m2[m2.count - 8] ^= 0xFF // the CRC-32: zlib stops after reading it, before the length
        let m3 = Self.member([Self.web("/u3", 2)])
        let input = dir.write("stopped.log.gz", m1 + m2 + m3)
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--format", "combined", "--out", out, input])
        #expect(r.status == 3, "\(r.stderr)")
        let unread = m3.count // after member 2's length field
        #expect(r.stderr.contains("stopped.log.gz:1 (byte \(m1.count + m2.count - 4), gzip member 2): checksum: incorrect data check; reading stopped there, the \(unread) bytes after it were not read; discarded the 1 lines of the damaged member"), "\(r.stderr)")
        let run = try summaryRun(out)
        #expect(int(run["bytes"]) == m1.count + m2.count + m3.count && int(run["touchpoints"]) == 1, "\(run)")
    }

    /// Bytes between two members that are not a member: the members after them are read.
    @Test func garbageBetweenMembersIsSkippedToTheNextMember() throws {
        let dir = TempDir()
        let m1 = Self.member([Self.web("/g1", 0), Self.web("/g2", 1)])
        let junk = Array("this is not gzip\n".utf8)
        let m2 = Self.member([Self.web("/g3", 2), Self.web("/g4", 3)])
        let m3 = Self.member([Self.web("/g5", 4)])
        let input = dir.write("garbage.log.gz", m1 + junk + m2 + m3)
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--format", "combined", "--out", out, input])
        #expect(r.status == 3, "\(r.stderr)")
        let warning = "garbage.log.gz:2 (byte \(m1.count), gzip member 1): garbage: skipped \(junk.count) bytes that are not gzip; read on from gzip member 2 at byte \(m1.count + junk.count)"
        #expect(r.stderr.contains(warning), "\(r.stderr)")
        let run = try summaryRun(out)
        let detail = try #require((run["inputs_detail"] as? [[String: Any]])?.first)
        #expect(int(detail["lines"]) == 5 && int(detail["touchpoints"]) == 5, "\(detail)")
        #expect((detail["damage"] as? String)?.contains("gzip member 1: garbage: skipped 17 bytes") == true, "\(detail)")
        #expect(int(run["damaged_inputs"]) == 1)

        // `events` reads the same members and reports the same skip.
        let e = try journeys(["events", "--format", "combined", input])
        #expect(e.status == 3, "\(e.stderr)")
        #expect(e.stdout.split(separator: "\n").count == 5)
        #expect(e.stderr.contains(warning), "\(e.stderr)")
        // --strict: damage is fatal.
        #expect(try journeys(["run", "--strict", "--format", "combined", "--out", out + "2", input]).status == 65)
    }

    /// Issue 11 (f): a bzip2 file was read as text (its bytes became invalid_utf8 rejects). An
    /// input compressed with something other than gzip is not read: it is reported like damage,
    /// naming the file, the compression and the command that decompresses it (exit 3), and the
    /// other inputs are read as usual.
    @Test func anotherCompressionIsReportedNotReadAsText() throws {
        let dir = TempDir()
        // `printf 'hello\n' | bzip2`, as bzip2 1.0.8 writes it.
        let hex = "425a6839314159265359c1c080e2000001410000100244a00030cd00c3462997177245385090c1c080e2"
        let bz2 = stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
            let a = hex.index(hex.startIndex, offsetBy: i)
            return UInt8(hex[a..<hex.index(a, offsetBy: 2)], radix: 16)!
        }
        let path = dir.write("access.log.bz2", bz2)
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--format", "combined", "--max-reject-ratio", "1", "--out", out, path, "fixtures/web/access.log"])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("\(path):0 (byte 0): unsupported_compression: bzip2-compressed"), "\(r.stderr)")
        #expect(r.stderr.contains("bzcat FILE | journeys"), "\(r.stderr)")
        let run = try summaryRun(out)
        let detail = try #require(run["inputs_detail"] as? [[String: Any]])
        #expect(detail.map { int($0["lines"]) } == [0, 30] || detail.map { int($0["lines"]) } == [30, 0])
        #expect(counts(run["rejects"])["invalid_utf8"] == nil)
    }
}

