import Foundation
import JourneysIO
import JourneysPipeline
import Testing

/// Collects what a `ContentGate` forwards, and where it said the forwarded bytes start.
private struct Collect: DecodedBytesConsumer {
    var bytes: [UInt8] = []
    var start: (offset: Int64, line: Int64)?
    /// Everything in order: "m1:5" for 5 bytes of member 1, "v1" for member 1 verified, "gap".
    var events: [String] = []
    mutating func consume(_ b: UnsafeBufferPointer<UInt8>, member: Int) { bytes += b; events.append("m\(member):\(b.count)") }
    mutating func memberVerified(_ member: Int) { events.append("v\(member)") }
    mutating func skipped(_ damage: InputDamage) { events.append("gap") }
    mutating func startAt(offset: Int64, line: Int64) { start = (offset, line) }
}

/// Feeds `input` to a gate in pieces of `piece` bytes, as a decoder would.
private func gate(_ input: [UInt8], known: [ContentFingerprint], wholeOnly: Bool = false, piece: Int = 10_000) -> ContentGate<Collect> {
    var g = ContentGate(Collect(), known: known.map { KnownContent($0, wholeOnly: wholeOnly) })
    var at = 0
    while at < input.count {
        let end = min(input.count, at + piece)
        input[at..<end].withUnsafeBufferPointer { g.consume($0, member: 0) }
        at = end
    }
    g.end()
    return g
}

/// `n` numbered lines of about 60 bytes.
private func lines(_ range: Range<Int>, tag: String = "a") -> [UInt8] {
    Array(range.map { "line \($0) \(tag) " + String(repeating: "x", count: 40) + "\n" }.joined().utf8)
}

@Suite struct ContentGateTests {
    /// A log read last night (about 120 KB, beyond the 64 KiB head) that grew: only the lines
    /// after the known ones are forwarded, starting at the known length and the next line.
    @Test func aLogThatGrewForwardsOnlyItsNewLines() {
        let old = lines(0..<2000)
        let known = gate(old, known: []).fingerprint(lines: 2000)
        #expect(known.length == Int64(old.count))
        let grown = old + lines(2000..<2100)
        let g = gate(grown, known: [known])
        #expect(g.inner.bytes == lines(2000..<2100))
        #expect(g.inner.start?.offset == Int64(old.count))
        #expect(g.inner.start?.line == 2001)
        #expect(g.matched == known)
        #expect(g.restart == nil)
        // The whole input is fingerprinted, prefix included.
        #expect(g.fingerprint(lines: 2100) == gate(grown, known: []).fingerprint(lines: 2100))
    }

    @Test func contentReadBeforeForwardsNothing() {
        let old = lines(0..<2000)
        let known = gate(old, known: []).fingerprint(lines: 2000)
        let g = gate(old, known: [known], piece: 7)
        #expect(g.inner.bytes.isEmpty)
        #expect(g.matched == known)
    }

    /// The same first 64 KiB and different content after them: the bytes held back are gone, so
    /// the gate asks to read the input again from its start, leaving nothing out.
    @Test func aMatchingHeadWithOtherContentAfterItAsksForARestart() {
        let old = lines(0..<2000)
        let known = gate(old, known: []).fingerprint(lines: 2000)
        let other = lines(0..<1500) + lines(1500..<2100, tag: "b")
        let g = gate(other, known: [known])
        #expect(g.restart != nil)
        #expect(g.restart! == nil) // from the start: nothing matched whole
        #expect(g.inner.bytes.isEmpty)
    }

    /// Unrelated content: decided at the head, forwarded whole, no restart.
    @Test func otherContentIsForwardedWhole() {
        let known = gate(lines(0..<2000), known: []).fingerprint(lines: 2000)
        let other = lines(0..<300, tag: "c")
        let g = gate(other, known: [known], piece: 4096)
        #expect(g.inner.bytes == other)
        #expect(g.inner.start == nil)
        #expect(g.restart == nil)
    }

    /// Of two known contents, one a prefix of the other (last night's log and the night
    /// before's), the longer one that matches is left out.
    /// While the start is held back, gzip member boundaries and the decoder's other events are
    /// kept in their order and replayed as they came (a member whose check fails is then dropped
    /// alone, and a gap between members still ends a line).
    @Test func heldBytesKeepTheirMembersAndEvents() {
        let known = gate(lines(0..<2000), known: []).fingerprint(lines: 2000) // > 64 KiB: probes the head
        var g = ContentGate(Collect(), known: [KnownContent(known, wholeOnly: false)])
        let a = Array("a1\na2-partial".utf8), b = Array("b1\n".utf8)
        a.withUnsafeBufferPointer { g.consume($0, member: 1) }
        g.memberVerified(1)
        g.skipped(InputDamage(kind: .garbage, byteOffset: 30, decompressedOffset: 13, member: 2, message: "garbage"))
        b.withUnsafeBufferPointer { g.consume($0, member: 2) }
        g.memberVerified(2)
        g.end()
        #expect(g.inner.events == ["m1:13", "v1", "gap", "m2:3", "v2"])
        #expect(g.inner.bytes == a + b)
    }

    /// Content that ends inside a line is known whole only: the same input is left out, but a
    /// grown one is read from its last newline, so the line completed since is read whole.
    @Test func aLastLineWithoutNewlineIsReadAgainWhenItGrows() {
        let first = Array("l1\nl2\npart".utf8)
        let g1 = gate(first, known: [])
        let whole = g1.fingerprint(lines: 3), lineEnd = g1.lineEnd(lines: 3)!
        #expect(lineEnd.length == 6 && lineEnd.lines == 2)
        func run(_ input: [UInt8]) -> ContentGate<Collect> {
            var g = ContentGate(Collect(), known: [KnownContent(lineEnd, wholeOnly: false), KnownContent(whole, wholeOnly: true)])
            input.withUnsafeBufferPointer { g.consume($0, member: 0) }
            g.end()
            return g
        }
        let same = run(first)
        #expect(same.inner.bytes.isEmpty && same.matched == whole)
        let grown = run(Array("l1\nl2\npartial done\nl4\n".utf8))
        #expect(grown.inner.bytes == Array("partial done\nl4\n".utf8))
        #expect(grown.inner.start?.line == 3)
        #expect(grown.inner.start?.offset == 6)
    }

    /// Among thousands of known inputs (a year of small daily files), the one that matches is found.
    @Test func manyKnownInputs() {
        let known = (0..<5000).map { gate(lines($0..<($0 + 1 + $0 % 7), tag: "k"), known: []).fingerprint(lines: 1) }
        let target = lines(0..<40)
        let fp = gate(target, known: []).fingerprint(lines: 40)
        let g = gate(target + lines(40..<45), known: known + [fp], piece: 333)
        #expect(g.matched == fp)
        #expect(g.inner.bytes == lines(40..<45))
    }

    @Test func theLongestKnownPrefixIsLeftOut() {
        let a = lines(0..<100), b = lines(0..<1500)
        let fa = gate(a, known: []).fingerprint(lines: 100), fb = gate(b, known: []).fingerprint(lines: 1500)
        let g = gate(lines(0..<1600), known: [fa, fb])
        #expect(g.inner.bytes == lines(1500..<1600))
        #expect(g.inner.start?.line == 1501)
    }
}

@Suite(.serialized) struct StateRunTests {
    private func web(_ day: Int, persons: Int = 3) -> [UInt8] {
        var s = ""
        for p in 0..<persons {
            s += "10.1.\(day).\(p) - - [\(String(format: "%02d", day))/Oct/2026:10:00:0\(p) +0000] \"GET /products/\(p)?cid=C\(p) HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"
        }
        return Array(s.utf8)
    }

    /// Two nights, one log each, with a customer seen on both: one person per customer over the
    /// two nights, as one run over both files finds; the second night run again reads nothing.
    @Test func twoNightsMakeTheReportsOfOneRunOverBoth() throws {
        let d = TempDir()
        let a = d.write("access-1.log", web(1)), b = d.write("access-2.log", web(2))
        let state = d.url.appendingPathComponent("state").path
        #expect(try journeys(["run", "--format", "combined", "--out", d.url.appendingPathComponent("n").path, "--state", state, a]).status == 0)
        let second = try journeys(["run", "--format", "combined", "--out", d.url.appendingPathComponent("n").path, "--state", state, a, b])
        #expect(second.status == 0)
        #expect(second.stderr.contains("note: 1 input was read before, whatever their names now, and hold nothing new: \(a)"))
        #expect(second.stderr.contains("3 touchpoints of 1 input from earlier runs joined this run's"))
        #expect(try journeys(["run", "--format", "combined", "--out", d.url.appendingPathComponent("all").path, a, b]).status == 0)
        for f in ["journeys.csv", "funnel.csv", "channels.csv", "daily.csv", "paths.csv", "attribution.csv"] {
            let n = try Data(contentsOf: d.url.appendingPathComponent("n/\(f)"))
            let all = try Data(contentsOf: d.url.appendingPathComponent("all/\(f)"))
            #expect(n == all, "\(f)")
        }
        // Three customers over two days: three persons, each with two touchpoints.
        let journeysCSV = try Data(contentsOf: d.url.appendingPathComponent("n/journeys.csv"))
        #expect(journeysCSV.filter { $0 == 10 }.count == 4) // a header and three persons
        let again = try journeys(["run", "--format", "combined", "--out", d.url.appendingPathComponent("n").path, "--state", state, b])
        #expect(again.status == 0)
        #expect(try Data(contentsOf: d.url.appendingPathComponent("n/journeys.csv")) == journeysCSV)
    }

    /// An empty standard input (a failed zcat) with a state: nothing is published, the state is
    /// left as it was (65); standard input that holds a night is read as any file would be.
    @Test func anEmptyStdinChangesNothing() throws {
        let d = TempDir()
        let state = d.url.appendingPathComponent("state")
        let out = d.url.appendingPathComponent("o").path
        #expect(try journeys(["run", "--format", "combined", "--out", out, "--state", state.path, "-"], stdin: web(1)).status == 0)
        let reports = try Data(contentsOf: URL(fileURLWithPath: out + "/journeys.csv"))
        let stateBytes = try Data(contentsOf: state.appendingPathComponent("journeys.state"))
        let empty = try journeys(["run", "--format", "combined", "--out", out, "--state", state.path, "-"], stdin: [])
        #expect(empty.status == 65)
        #expect(empty.stderr.contains("no line was read"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/journeys.csv")) == reports)
        #expect(try Data(contentsOf: state.appendingPathComponent("journeys.state")) == stateBytes)
        // The same night on stdin again: recognised, nothing new, the same reports (exit 0).
        let again = try journeys(["run", "--format", "combined", "--out", out, "--state", state.path, "-"], stdin: web(1))
        #expect(again.status == 0)
        #expect(again.stderr.contains("1 input was read before"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/journeys.csv")) == reports)
        // No copy of standard input is left in the state folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: state.path).sorted() == [".journeys.lock", "journeys.state"])
    }

    /// A CSV file that grew between two nights is read again whole (its header is in the
    /// prefix read before): the new rows are read with it, the old ones dropped as repeats, and
    /// the reports are those of one run over the grown file.
    @Test func aGrownCSVIsReadWithItsHeader() throws {
        let d = TempDir()
        let rows = (1...4).map { "2026-10-0\($0)T10:00:00Z,page_view,C\($0 % 2)\n" }
        let pipelineText = "sources:\n  - path: orders.csv\n    format: csv\n    fields: {time: time, action: event, customer: customer}\nstate:\n  dir: state\n"
        let pipeline = d.write("p.yaml", Array(pipelineText.utf8))
        _ = d.write("orders.csv", Array(("time,event,customer\n" + rows[0] + rows[1]).utf8))
        let out = d.url.appendingPathComponent("o").path
        #expect(try journeys(["run", "--pipeline", pipeline, "--out", out], asGiven: true).status == 0)
        _ = d.write("orders.csv", Array(("time,event,customer\n" + rows.joined()).utf8))
        let r = try journeys(["run", "--pipeline", pipeline, "--out", out], asGiven: true)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: out + "/rejects.ndjson", encoding: .utf8).isEmpty)
        let stateless = d.write("q.yaml", Array(pipelineText.replacingOccurrences(of: "state:\n  dir: state\n", with: "").utf8))
        let all = d.url.appendingPathComponent("all").path
        #expect(try journeys(["run", "--pipeline", stateless, "--out", all], asGiven: true).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/journeys.csv")) == Data(contentsOf: URL(fileURLWithPath: all + "/journeys.csv")))
        // Two customers, two page views each: a header and two rows.
        #expect(try String(contentsOfFile: out + "/journeys.csv", encoding: .utf8).utf8.filter { $0 == 10 }.count == 3)
    }

    /// `state export` writes each stored touchpoint as a JSON line with its input and keys;
    /// `state prune --before` drops the older ones under the lock, and the inputs stay known.
    @Test func exportAndPrune() throws {
        let d = TempDir()
        let a = d.write("access-1.log", web(1)), b = d.write("access-2.log", web(2))
        let state = d.url.appendingPathComponent("state").path
        let out = d.url.appendingPathComponent("o").path
        #expect(try journeys(["run", "--format", "combined", "--out", out, "--state", state, a]).status == 0)
        #expect(try journeys(["run", "--format", "combined", "--out", out, "--state", state, b]).status == 0)
        let export = try journeys(["state", "export", state])
        #expect(export.status == 0)
        let lines = export.stdout.split(separator: "\n")
        #expect(lines.count == 6)
        // The first line of access-1.log: 10.1.1.0 at 10:00:00 on 1 October, /products/0?cid=C0.
        #expect(lines.contains { $0.hasPrefix("{\"input\":\"\(a)\",\"line\":1,\"time\":\"2026-10-01T10:00:00.000Z\",\"channel\":\"web\",\"action\":\"page_view\",\"path\":\"/products/0\"") && $0.contains("\"customer\":\"C0\"") })
        let pruned = try journeys(["state", "prune", state, "--before", "2026-10-02"])
        #expect(pruned.status == 0)
        #expect(pruned.stdout.contains("dropped 3 touchpoints before 2026-10-02T00:00:00.000Z, kept 3"))
        #expect(try journeys(["state", "verify", state]).stdout.hasSuffix("3 touchpoints of 2 inputs, 3 identity keys, 2 runs\n"))
        // access-1.log is still known: read again, it adds nothing.
        let again = try journeys(["run", "--format", "combined", "--out", out, "--state", state, a])
        #expect(again.stderr.contains("1 input was read before"))
        #expect(try journeys(["state", "prune", state, "--before", "2026-13-01"]).status == 64)
    }

    @Test func aStateMadeWithAnotherKeyIsRefused() throws {
        let d = TempDir()
        let a = d.write("access-1.log", web(1))
        let state = d.url.appendingPathComponent("state").path
        #expect(try journeys(["run", "--format", "combined", "--out", d.url.appendingPathComponent("o").path, "--state", state, a]).status == 0)
        let r = try journeys(["run", "--format", "combined", "--out", d.url.appendingPathComponent("o").path, "--state", state, a],
                             piiKey: "another-key-not-secret-0123456789-abcdef")
        #expect(r.status == 78)
        #expect(r.stderr.contains("was made with another pseudonym key"))
    }

    @Test func theOutputFolderCannotBeTheState() throws {
        let d = TempDir()
        let a = d.write("access-1.log", web(1))
        let both = d.url.appendingPathComponent("reports").path
        let r = try journeys(["run", "--format", "combined", "--out", both, "--state", both + "/", a])
        #expect(r.status == 64)
        #expect(r.stderr.contains("is the output folder"))
    }

    /// A state whose bytes were damaged (one byte flipped inside a gzip member) stops the run
    /// (65) with the file and the place named; nothing is published; `state verify` says the same.
    @Test func aDamagedStateIsNamedAndNothingIsPublished() throws {
        let d = TempDir()
        let a = d.write("access-1.log", web(1)), b = d.write("access-2.log", web(2))
        let state = d.url.appendingPathComponent("state")
        let out = d.url.appendingPathComponent("o")
        #expect(try journeys(["run", "--format", "combined", "--out", out.path, "--state", state.path, a]).status == 0)
        #expect(try journeys(["state", "verify", state.path]).status == 0)
        let file = state.appendingPathComponent("journeys.state")
        var bytes = [UInt8](try Data(contentsOf: file))
        bytes[bytes.count - 30] ^= 0x55 // inside the last member's deflate data or trailer
        try Data(bytes).write(to: file)
        let before = try Data(contentsOf: out.appendingPathComponent("journeys.csv"))
        let r = try journeys(["run", "--format", "combined", "--out", out.path, "--state", state.path, b])
        #expect(r.status == 65)
        #expect(r.stderr.contains("journeys.state: damaged at byte"))
        #expect(try Data(contentsOf: out.appendingPathComponent("journeys.csv")) == before)
        let v = try journeys(["state", "verify", state.path])
        #expect(v.status == 65)
        #expect(v.stderr.contains("damaged at byte"))
    }

    /// Retention: touchpoints more than `state.retention` days older than the newest are dropped
    /// from the reports and the state; `state info` says from when.
    @Test func retentionDropsOldTouchpoints() throws {
        let d = TempDir()
        // Three customers on 1 January, three on 10 October (each a customer id, so no fallback
        // visitor key: six keys in all).
        let oldLines = (1...3).map {
            "10.9.9.\($0) - - [01/Jan/2026:10:00:0\($0) +0000] \"GET /old?cid=OLD\($0) HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"
        }.joined()
        let old = d.write("old.log", Array(oldLines.utf8))
        let new = d.write("new.log", web(10))
        let pipeline = d.write("p.yaml", Array("state:\n  dir: state\n  retention: 100d\n".utf8))
        let out = d.url.appendingPathComponent("o").path
        let state = d.url.appendingPathComponent("state").path
        #expect(try journeys(["run", "--pipeline", pipeline, "--format", "combined", "--out", out, old]).status == 0)
        #expect(try String(contentsOfFile: out + "/journeys.csv", encoding: .utf8).contains("OLD1"))
        let r = try journeys(["run", "--pipeline", pipeline, "--format", "combined", "--out", out, new])
        #expect(r.status == 0)
        #expect(r.stderr.contains("3 older than 100 days dropped"))
        let csv = try String(contentsOfFile: out + "/journeys.csv", encoding: .utf8)
        #expect(!csv.contains("OLD"))
        #expect(csv.utf8.filter { $0 == 10 }.count == 4)
        let info = try journeys(["state", "info", state])
        #expect(info.stdout.contains("retention: 100 days; touchpoints before 2026-07-02T10:00:02.000Z were dropped"))
        #expect(info.stdout.contains("touchpoints: 3 from 2026-10-10T10:00:00.000Z"))
        // The dropped touchpoints' keys stay in the file until a fifth of the touchpoints were
        // dropped since the last compaction: 3 of the 6 held at night 11, which compacts.
        #expect(try journeys(["state", "verify", state]).stdout.hasSuffix("3 touchpoints of 2 inputs, 6 identity keys, 2 runs\n"))
        #expect(try journeys(["run", "--pipeline", pipeline, "--format", "combined", "--out", out, d.write("next.log", web(11))]).status == 0)
        #expect(try journeys(["state", "verify", state]).stdout.hasSuffix("6 touchpoints of 3 inputs, 3 identity keys, 3 runs\n"))
        #expect(try String(contentsOfFile: out + "/journeys.csv", encoding: .utf8).utf8.filter { $0 == 10 }.count == 4)
    }
}

/// Recognising a gzip file from its head and its trailer (CRC-32 and length of the whole
/// content), without decompressing the rest: logrotate's compressed copies, night after night.
@Suite struct GzipTrailerTests {
    private func scan(_ bytes: [UInt8], known: [ContentFingerprint]) throws -> (InputScan, lines: Int64) {
        let d = TempDir()
        let path = d.write("x.gz", bytes)
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var emitted: Int64 = 0
        let s = InputScanner.scan(fd: fd, input: 0, known: known.map { KnownContent($0, wholeOnly: false) }) { emitted += $0.lineCount }
        return (s, emitted)
    }

    @Test func aCompressedCopyIsRecognisedWhole() throws {
        let text = lines(0..<2000)
        let known = gate(text, known: []).fingerprint(lines: 2000)
        let (s, emitted) = try scan(GzipCompressor.compress(text), known: [known])
        #expect(s.matched == known)
        #expect(s.content == known)
        #expect(s.decoder.damage == nil)
        #expect(emitted == 0)
    }

    /// The proof that the rest is not read: a file whose first 70 KB are the known content's and
    /// whose trailer was copied from it, but whose tail differs (so its own check would fail), is
    /// taken as the known content without a word about its checksum.
    @Test func theRestIsNotRead() throws {
        let text = lines(0..<2000)
        let known = gate(text, known: []).fingerprint(lines: 2000)
        var other = Array(text[..<70_000])
        other += Array(repeating: UInt8(ascii: "z"), count: text.count - 70_000 - 1) + [10]
        var gz = GzipCompressor.compress(other)
        let real = GzipCompressor.compress(text)
        gz.replaceSubrange((gz.count - 8)..., with: real[(real.count - 8)...])
        let (s, emitted) = try scan(gz, known: [known])
        #expect(s.matched == known)
        #expect(s.decoder.damage == nil)
        #expect(emitted == 0)
        // Without a known content it is read to its end, and its check fails.
        let (plain, _) = try scan(gz, known: [])
        #expect(plain.decoder.damage?.kind == .checksum)
    }
}
