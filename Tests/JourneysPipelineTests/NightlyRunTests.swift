import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What an unattended nightly `journeys run` promises: every line accounted for, duplicates
/// counted once, bad data and damage answered with a documented exit status, and no fault
/// (a second run, a signal, kill -9, a full disk) touching the previous outputs.
@Suite(.serialized) struct NightlyRunTests {
    static let environment: [String: String] = {
        var env = ProcessInfo.processInfo.environment
        env["JOURNEYS_PII_KEY"] = "journeys-test-key-not-secret-0123456789"
        env["SWIFT_BACKTRACE"] = "enable=no"
        return env
    }()

    /// The output files (not the lock, not temps) and their bytes.
    func outputs(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where !name.hasPrefix(".") {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    func temps(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".tmp-") }
    }

    /// Starts `journeys` in the background, under `wrapper` (a program and its arguments, such as
    /// prlimit) when one is given; stderr goes to `stderrPath`.
    func start(_ args: [String], stderrPath: String, under wrapper: [String] = []) throws -> Process {
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let p = Process()
        if let program = wrapper.first {
            p.executableURL = URL(fileURLWithPath: program)
            p.arguments = wrapper.dropFirst() + [journeysBinary.path] + args
        } else {
            p.executableURL = journeysBinary
            p.arguments = args
        }
        p.currentDirectoryURL = repo
        p.environment = Self.environment
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: stderrPath)
        try p.run()
        return p
    }

    /// Runs a helper program (flock, sh) in the background.
    func spawn(_ path: String, _ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        try p.run()
        return p
    }

    func noStackTrace(_ text: String) -> Bool {
        !text.contains("Fatal error") && !text.contains("Stack dump") && !text.contains("Backtrace") && !text.contains("Crash")
    }

    func summaryRun(_ dir: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))
        let doc = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return doc["run"] as! [String: Any]
    }

    func int(_ v: Any?) -> Int { (v as? NSNumber)?.intValue ?? -1 }
    func counts(_ v: Any?) -> [String: Int] { ((v as? [String: Any]) ?? [:]).mapValues { int($0) } }

    /// A generated input big enough that a debug build needs a few seconds for it.
    static let bigInput: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("journeys-nightly-big").path
        if !FileManager.default.fileExists(atPath: dir + "/pipeline.yaml") {
            let p = Process()
            p.executableURL = journeysBinary
            p.arguments = ["generate", "--persons", "5000", "--days", "2", "--seed", "1", "--out", dir]
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            p.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try? p.run()
            p.waitUntilExit()
        }
        return dir + "/pipeline.yaml"
    }()

    // MARK: - Lines and files

    @Test func messyFixtureEveryLineIsAccountedFor() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--threads", "2", "--pipeline", "fixtures/messy/pipeline.yaml", "--out", out])
        // Damaged inputs (truncated, CRC, 0-byte .gz): published, exit status 3.
        #expect(r.status == 3, "\(r.stderr)")
        #expect(noStackTrace(r.stderr))
        let run = try summaryRun(out)
        var byName: [String: [String: Any]] = [:]
        for d in run["inputs_detail"] as! [[String: Any]] {
            let lines = int(d["lines"]), tps = int(d["touchpoints"]), dups = int(d["duplicates"])
            let skipped = counts(d["skipped"]).values.reduce(0, +), rejected = counts(d["rejected"]).values.reduce(0, +)
            #expect(lines == tps + skipped + dups + rejected, "\(d)")
            byName[(d["name"] as! String).replacingOccurrences(of: "fixtures/messy/", with: "")] = d
        }
        #expect(byName.count == 7)
        // web.log, by hand (make_messy.py): 14 lines; 1 (after a BOM), 2 (CRLF), 11, 13 → 4 touchpoint
        // lines; 3, 4 blank; line 10 repeats line 2 → 1 duplicate; 5, 12 (NUL) and 14 (garbage, no
        // final newline) malformed; 6 invalid UTF-8; 7 (day 32), 8 (year 2999), 9 (2036, after the
        // run) bad_timestamp.
        let web = try #require(byName["web.log"])
        #expect(int(web["lines"]) == 14)
        #expect(int(web["touchpoints"]) == 4)
        #expect(counts(web["skipped"]) == ["blank": 2])
        #expect(int(web["duplicates"]) == 1)
        #expect(counts(web["rejected"]) == ["malformed": 3, "invalid_utf8": 1, "bad_timestamp": 3])
        let long = try #require(byName["long-line.log.gz"])
        #expect(int(long["lines"]) == 3 && int(long["touchpoints"]) == 2 && counts(long["rejected"]) == ["line_too_long": 1])
        let events = try #require(byName["events.ndjson"])
        // Duplicate key, deep nesting, lone surrogate: bad_json; 1e400 as the time: bad_timestamp;
        // a number written as a string and a good record: touchpoints.
        #expect(counts(events["rejected"]) == ["bad_json": 3, "bad_timestamp": 1])
        #expect(int(events["touchpoints"]) == 2)
        let crc = try #require(byName["crc.log.gz"])
        // Member 1 (2 lines) kept; member 2's CRC fails: its 2 lines are discarded as damaged_input.
        #expect(int(crc["lines"]) == 4 && int(crc["touchpoints"]) == 2 && counts(crc["rejected"]) == ["damaged_input": 2])
        #expect((crc["damage"] as? String)?.contains("gzip member 2: checksum") == true)
        // rejects.ndjson says so too: one entry for the discarded lines 3–4 (no raw text: none of it is trusted).
        let rejects = try String(contentsOfFile: out + "/rejects.ndjson", encoding: .utf8).split(separator: "\n")
        let damaged = rejects.filter { $0.contains(#""reason":"damaged_input""#) }
        #expect(damaged.count == 1)
        #expect(damaged.first?.hasPrefix(#"{"input":"fixtures/messy/crc.log.gz","line":3,"reason":"damaged_input","detail":"#) == true, "\(damaged)")
        #expect(damaged.first?.hasSuffix(#"lines 3–4 discarded (2 of them had touchpoints)","lines":2}"#) == true, "\(damaged)")
        let truncated = try #require(byName["truncated.log.gz"])
        #expect((truncated["damage"] as? String)?.contains("truncated") == true)
        #expect(int(truncated["lines"]) == int(truncated["touchpoints"]))
        // Bytes after the last member that are not a member: reported, the member's lines kept.
        let garbage = try #require(byName["garbage.log.gz"])
        #expect(int(garbage["lines"]) == 2 && int(garbage["touchpoints"]) == 2)
        #expect((garbage["damage"] as? String)?.contains("trailing_garbage") == true)
        #expect(r.stderr.contains("journeys: warning: fixtures/messy/garbage.log.gz:2 (byte 146, gzip member 1): trailing_garbage:"))
        let empty = try #require(byName["empty.log.gz"])
        #expect(int(empty["lines"]) == 0 && (empty["damage"] as? String)?.contains("empty") == true)
        // One warning per damaged input, `INPUT:LINE (byte N, gzip member M): reason`, LINE the last line kept.
        #expect(r.stderr.contains("journeys: warning: fixtures/messy/crc.log.gz:2 (byte 292, gzip member 2): checksum:"))
        #expect(r.stderr.contains("discarded the 2 lines of the damaged member"))
        #expect(r.stderr.contains("journeys: warning: fixtures/messy/empty.log.gz:0 (byte 0): empty:"))
        #expect(r.stderr.contains("journeys: warning: fixtures/messy/truncated.log.gz:"))
        // Threads do not change the accounting.
        let out1 = dir.url.appendingPathComponent("one").path
        #expect(try journeys(["run", "--threads", "1", "--pipeline", "fixtures/messy/pipeline.yaml", "--out", out1]).status == 3)
        #expect(try outputs(out1).filter { $0.key != "summary.json" } == outputs(out).filter { $0.key != "summary.json" })
    }

    @Test func damagedGzipOnStandardInputFollowsTheSamePolicy() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        let crc = try [UInt8](Data(contentsOf: repo.appendingPathComponent("fixtures/messy/crc.log.gz")))
        let r = try journeys(["run", "--format", "combined", "--out", out, "-"], stdin: crc)
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("journeys: warning: <stdin>:2 (byte 292, gzip member 2): checksum:"))
        let d = (try summaryRun(out)["inputs_detail"] as! [[String: Any]])[0]
        #expect(int(d["lines"]) == 4 && int(d["touchpoints"]) == 2 && counts(d["rejected"]) == ["damaged_input": 2])
        let truncated = try [UInt8](Data(contentsOf: repo.appendingPathComponent("fixtures/messy/truncated.log.gz")))
        let t = try journeys(["run", "--format", "combined", "--out", out, "-"], stdin: truncated)
        #expect(t.status == 3, "\(t.stderr)")
        #expect(t.stderr.contains("truncated"))
        #expect(try journeys(["run", "--strict", "--format", "combined", "--out", out, "-"], stdin: truncated).status == 65)
    }

    @Test func theSameFileTwiceGivesTheSameReportsAsOnce() throws {
        let dir = TempDir()
        let once = dir.url.appendingPathComponent("once").path, twice = dir.url.appendingPathComponent("twice").path
        // The same file named twice, and a copy under a rotated name (overlapping rotations).
        let rotated = dir.url.appendingPathComponent("access.log.1.gz").path
        try FileManager.default.copyItem(atPath: repo.appendingPathComponent("fixtures/web/access.log.gz").path, toPath: rotated)
        #expect(try journeys(["run", "--format", "combined", "--out", once, "fixtures/web/access.log.gz"]).status == 0)
        let r = try journeys(["run", "--format", "combined", "--out", twice, "fixtures/web/access.log.gz", "fixtures/web/access.log.gz", rotated])
        #expect(r.status == 0, "\(r.stderr)")
        let a = try outputs(once), b = try outputs(twice)
        for name in a.keys where name != "summary.json" && name != "rejects.ndjson" { #expect(a[name] == b[name], "\(name)") }
        let runOnce = try summaryRun(once), runTwice = try summaryRun(twice)
        #expect(int(runOnce["touchpoints"]) == int(runTwice["touchpoints"]))
        let first = (runOnce["inputs_detail"] as! [[String: Any]])[0]
        let details = runTwice["inputs_detail"] as! [[String: Any]]
        #expect(details.count == 3)
        // The first copy keeps everything; each later copy's touchpoint lines are all duplicates.
        let kept = details.filter { int($0["touchpoints"]) > 0 }
        #expect(kept.count == 1)
        for d in details where int(d["touchpoints"]) == 0 {
            #expect(int(d["duplicates"]) == int(first["touchpoints"]))
            #expect(int(d["lines"]) == int(first["lines"]))
        }
        #expect(r.stderr.contains("duplicate lines"))
    }

    @Test func rejectsOverTheRatioFailWithoutPublishing() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        #expect(try journeys(["run", "--format", "combined", "--out", out, "fixtures/web/access.log.gz"]).status == 0)
        let before = try outputs(out)
        // The fixture has deliberately bad lines: more than 1% of its lines.
        let r = try journeys(["run", "--format", "combined", "--max-reject-ratio", "0.01", "--out", out, "fixtures/web/access.log.gz"])
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.contains("over --max-reject-ratio 0.01"))
        #expect(r.stderr.contains("top reasons: "))
        #expect(r.stderr.contains("nothing was published"))
        #expect(try outputs(out) == before)
        #expect(temps(out).isEmpty)
        // events: the same check, after the stream was written.
        let ev = try journeys(["events", "--format", "combined", "--max-reject-ratio", "0.01", "fixtures/web/access.log.gz"])
        #expect(ev.status == 65)
        #expect(ev.stderr.contains("lines rejected (ratio "))
        #expect(try journeys(["events", "--format", "combined", "--max-reject-ratio", "1", "fixtures/web/access.log.gz"]).status == 0)
        #expect(try journeys(["run", "--max-reject-ratio", "2", "--out", out]).status == 64)
    }

    @Test func strictMakesDamageFatal() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        #expect(try journeys(["run", "--format", "combined", "--out", out, "fixtures/web/access.log.gz"]).status == 0)
        let before = try outputs(out)
        let damaged = ["fixtures/web/access.log.gz", "fixtures/messy/truncated.log.gz"]
        let r = try journeys(["run", "--strict", "--format", "combined", "--out", out] + damaged)
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.contains("--strict"))
        #expect(try outputs(out) == before)
        // Without --strict: published, exit 3.
        let partial = try journeys(["run", "--format", "combined", "--out", out] + damaged)
        #expect(partial.status == 3, "\(partial.stderr)")
        #expect(try outputs(out) != before)
        #expect(try journeys(["events", "--strict", "--format", "combined", "fixtures/messy/crc.log.gz"]).status == 65)
    }

    // MARK: - Rejected events of a webhook array

    /// A SendGrid webhook array of one open and 20,000 empty objects (each `malformed`: no event).
    /// Each rejected event used to hold and write its own copy of the ~60 KB line: 1.2 GB of
    /// rejects. Now the line's text is written once, the first 100 rejected events (the documented
    /// limit) are listed, and the other 19,900 are one entry with their number; the counts stay exact.
    @Test func manyRejectedEventsOfOneLineKeepTheRejectsSmall() throws {
        let dir = TempDir()
        let open = #"{"email":"ana@example.com","timestamp":1791807000,"event":"open","sg_event_id":"b3Blbi0x"}"#
        let line = "[" + open + String(repeating: ",{}", count: 20_000) + "]"
        let input = dir.write("webhook.json", Array((line + "\n").utf8))
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--format", "sendgrid", "--out", out, input], asGiven: true)
        #expect(r.status == 0, "\(r.stderr)")
        let run = try summaryRun(out)
        let detail = try #require((run["inputs_detail"] as? [[String: Any]])?.first)
        #expect(int(detail["lines"]) == 1 && int(detail["touchpoints"]) == 1, "\(detail)")
        #expect(counts(detail["rejected"]).isEmpty, "\(detail)")
        #expect(counts(detail["rejected_events"]) == ["malformed": 20_000], "\(detail)")
        #expect(counts(run["rejected_events"]) == ["malformed": 20_000], "\(run)")

        let rejects = try Data(contentsOf: URL(fileURLWithPath: out + "/rejects.ndjson"))
        #expect(rejects.count < 2 * line.utf8.count, "rejects.ndjson holds \(rejects.count) bytes for a line of \(line.utf8.count)")
        let entries = String(decoding: rejects, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(entries.count == 101)
        #expect(entries.filter { $0.contains(#""raw":"#) }.count == 1)
        #expect(entries.first?.contains(#""detail":"element [1] of 20001: no event (field \"event\")","raw":"[{"#) == true)
        #expect(entries.dropFirst().allSatisfy { $0.hasSuffix(#""event_only":true,"raw_shared":true}"#) })
        #expect(entries[100].contains(#""reason":"malformed","detail":"19900 more rejected events of this line, not listed one by one""#), "\(entries[100])")
        #expect(entries[100].contains(#""events":19900,"#), "\(entries[100])")
    }

    /// In a webhook array each event stands alone, a time more than a day after the run started
    /// included: line 1's late open is a rejected event and its other open is kept; line 2 (one
    /// late event) and line 3 (two) are rejected lines. 4000000000 s is 2096-10-02T07:06:40Z.
    @Test func aLateEventOfAnArrayIsRejectedAlone() throws {
        let dir = TempDir()
        func open(_ who: String, _ time: Int, _ id: String) -> String {
            #"{"email":"\#(who)@example.com","timestamp":\#(time),"event":"open","sg_event_id":"\#(id)"}"#
        }
        let lines = ["[" + open("ana", 1791807000, "a1") + "," + open("bo", 4000000000, "b1") + "]",
                     open("cy", 4000000000, "c1"),
                     "[" + open("di", 4000000000, "d1") + "," + open("ed", 4000000000, "e1") + "]"]
        let input = dir.write("webhook.json", Array((lines.joined(separator: "\n") + "\n").utf8))
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--format", "sendgrid", "--out", out, input])
        #expect(r.status == 0, "\(r.stderr)")
        let run = try summaryRun(out)
        let d = try #require((run["inputs_detail"] as? [[String: Any]])?.first)
        #expect(int(d["lines"]) == 3 && int(d["touchpoints"]) == 1 && int(d["duplicates"]) == 0, "\(d)")
        #expect(counts(d["skipped"]).isEmpty, "\(d)")
        #expect(counts(d["rejected"]) == ["bad_timestamp": 2], "\(d)")
        #expect(counts(d["rejected_events"]) == ["bad_timestamp": 1], "\(d)")
        let rejects = try String(contentsOfFile: out + "/rejects.ndjson", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(rejects.count == 3, "\(rejects)")
        #expect(rejects[0].contains(#""line":1,"offset":0,"reason":"bad_timestamp","detail":"touchpoint 2 of 2: time 2096-10-02T07:06:40.000Z is more than a day after the run started","raw":"#), "\(rejects[0])")
        #expect(rejects[0].hasSuffix(#""event_only":true}"#), "\(rejects[0])")
        #expect(rejects[1].contains(#""line":2,"#) && rejects[1].contains(#""detail":"time 2096-10-02T07:06:40.000Z is more than a day after the run started","#), "\(rejects[1])")
        #expect(rejects[2].contains(#""line":3,"#) && rejects[2].contains(#""detail":"touchpoint 1 of 2: time 2096-10-02T07:06:40.000Z is more than a day after the run started (every touchpoint of the line was)","#), "\(rejects[2])")
        #expect(!rejects[1].contains("event_only") && !rejects[2].contains("event_only"))
    }

    // MARK: - Faults

    @Test func helpListsEveryExitStatus() throws {
        let help = try journeys(["run", "--help"]).stdout
        for code in ["0 success", "3 completed", "65 bad data", "70 internal", "74 I/O", "75 another run", "130 / 143"] {
            #expect(help.contains(code), "\(code)")
        }
        #expect(help.contains("--max-reject-ratio") && help.contains("--strict") && help.contains("--wait"))
    }

    @Test func aSecondRunOnTheSameDirectoryFailsAtOnceOrWaits() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        #expect(try journeys(["run", "--format", "combined", "--out", out, "fixtures/web/access.log.gz"]).status == 0)
        let before = try outputs(out)
        // Another process holds the lock for 2 seconds.
        let holder = try spawn("/usr/bin/flock", [out + "/.journeys.lock", "sleep", "2"])
        usleep(300_000)
        let started = Date()
        let r = try journeys(["run", "--format", "combined", "--out", out, "fixtures/web/access.log.gz", "fixtures/chat/chat.jsonl.gz"])
        #expect(r.status == 75, "\(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 1.5)
        #expect(r.stderr.contains("holds the lock"))
        #expect(r.stderr.contains("--wait"))
        #expect(try outputs(out) == before)
        // --wait: blocks until the holder is done, then runs.
        let w = try journeys(["run", "--wait", "--format", "combined", "--out", out, "fixtures/web/access.log.gz"])
        #expect(w.status == 0, "\(w.stderr)")
        #expect(Date().timeIntervalSince(started) >= 1.5)
        holder.waitUntilExit()
    }

    @Test func aLockLeftByAKilledProcessDoesNotBlock() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // One process that takes the lock and sleeps (it becomes `sleep` holding the locked fd).
        let holder = try spawn("/bin/sh", ["-c", "exec 9>\"$0\"; flock 9; exec sleep 30", out + "/.journeys.lock"])
        usleep(300_000)
        #expect(try journeys(["run", "--format", "combined", "--out", out, "fixtures/web/access.log.gz"]).status == 75)
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        // The lock file is still there; the kernel released the lock with its holder.
        #expect(FileManager.default.fileExists(atPath: out + "/.journeys.lock"))
        let started = Date()
        let r = try journeys(["run", "--format", "combined", "--out", out, "fixtures/web/access.log.gz"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func aSignalPublishesNothingAndRemovesTemps(_ signal: Int32, _ status: Int32) throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        #expect(try journeys(["run", "--format", "combined", "--out", out, "fixtures/web/access.log.gz"]).status == 0)
        let before = try outputs(out)
        let err = dir.url.appendingPathComponent("stderr").path
        let p = try start(["run", "--max-reject-ratio", "1", "--pipeline", Self.bigInput, "--out", out], stderrPath: err)
        usleep(1_200_000)
        #expect(p.isRunning, "the run ended before the signal: make the generated input bigger")
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: err)), as: UTF8.self)
        #expect(p.terminationStatus == status, "\(text)")
        #expect(text.contains("interrupted"))
        #expect(noStackTrace(text))
        #expect(try outputs(out) == before)
        #expect(temps(out).isEmpty)
    }

    @Test func killMinus9LeavesThePreviousOutputsAndTheNextRunCleansUp() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        #expect(try journeys(["run", "--format", "combined", "--out", out, "fixtures/web/access.log.gz"]).status == 0)
        let before = try outputs(out)
        let err = dir.url.appendingPathComponent("stderr").path
        let p = try start(["run", "--max-reject-ratio", "1", "--pipeline", Self.bigInput, "--out", out], stderrPath: err)
        usleep(1_200_000)
        #expect(p.isRunning)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(try outputs(out) == before)
        // The killed run's temps (rejects.ndjson was being written) may remain: the next run,
        // which does not wait for a lock the kernel released, removes them.
        let left = temps(out)
        let r = try journeys(["run", "--format", "combined", "--out", out, "fixtures/web/access.log.gz"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(temps(out).isEmpty, "left before: \(left)")
    }

    @Test func aFullDiskIsAnIOErrorAndChangesNothing() throws {
        let dir = TempDir()
        let mnt = dir.url.appendingPathComponent("tiny").path
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        let m = Process()
        m.executableURL = URL(fileURLWithPath: "/bin/mount")
        m.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt]
        m.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try m.run()
        m.waitUntilExit()
        guard m.terminationStatus == 0 else {
            print("aFullDiskIsAnIOErrorAndChangesNothing: skipped: cannot mount a tmpfs here (mount exit \(m.terminationStatus); needs root or CAP_SYS_ADMIN)")
            return
        }
        defer {
            let u = Process()
            u.executableURL = URL(fileURLWithPath: "/bin/umount")
            u.arguments = [mnt]
            try? u.run()
            u.waitUntilExit()
        }
        let out = mnt + "/out"
        let small = try journeys(["run", "--format", "combined", "--out", out, "fixtures/messy/web.log"])
        #expect(small.status == 0, "\(small.stderr)")
        let before = try outputs(out)
        // Fill what is left of the file system.
        let fill = open(mnt + "/filler", O_WRONLY | O_CREAT, 0o644)
        let block = [UInt8](repeating: 0x61, count: 4096)
        while block.withUnsafeBytes({ write(fill, $0.baseAddress, $0.count) }) > 0 {}
        close(fill)
        let r = try journeys(["run", "--format", "combined", "--out", out, "fixtures/web/access.log.gz"])
        #expect(r.status == 74, "\(r.stderr)")
        #expect(r.stderr.contains("No space left on device"))
        #expect(noStackTrace(r.stderr))
        #expect(try outputs(out) == before)
        #expect(temps(out).isEmpty)
    }

    /// A kernel write error that needs no root: `journeys` under a 512-byte file-size limit (what
    /// `ulimit -f` sets for a cron job) gets EFBIG part-way through rejects.ndjson (655 bytes in full). It ignores SIGXFSZ,
    /// so this is exit 74 naming the file, not a kill by signal; the previous outputs stay.
    /// The limit is set on the child by prlimit(1): lowering it in this process would reach every
    /// process other suites start meanwhile.
    @Test func aFileSizeLimitIsAnIOErrorAndChangesNothing() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        let small = try journeys(["run", "--format", "combined", "--out", out, "fixtures/messy/web.log"])
        #expect(small.status == 0, "\(small.stderr)")
        let before = try outputs(out)
        let err = dir.url.appendingPathComponent("stderr").path
        let p = try start(["run", "--max-reject-ratio", "1", "--format", "combined", "--out", out, "fixtures/web/access.log.gz"],
                          stderrPath: err, under: ["/usr/bin/prlimit", "--fsize=512", "--"])
        p.waitUntilExit()
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: err)), as: UTF8.self)
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 74, "\(text)")
        // rejects.ndjson, written while reading, is the first file past 512 bytes.
        #expect(text.hasPrefix("journeys: error: \(out)/.rejects.ndjson.tmp-"), "\(text)")
        #expect(text.contains(": write: File too large; nothing was published, the previous outputs in \(out) are unchanged\n"), "\(text)")
        #expect(noStackTrace(text))
        #expect(try outputs(out) == before)
        #expect(temps(out).isEmpty)
    }

    @Test func eventsToAFullDeviceIsAnIOError() throws {
        let p = Process()
        p.executableURL = journeysBinary
        p.arguments = ["events", "--max-reject-ratio", "1", "--format", "combined", "fixtures/web/access.log.gz"]
        p.currentDirectoryURL = repo
        p.environment = Self.environment
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
        let dir = TempDir()
        let err = dir.write("stderr", [])
        p.standardError = FileHandle(forWritingAtPath: err)
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: err)), as: UTF8.self)
        #expect(p.terminationStatus == 74, "\(text)")
        #expect(text.contains("No space left on device"))
        #expect(noStackTrace(text))
    }
}
