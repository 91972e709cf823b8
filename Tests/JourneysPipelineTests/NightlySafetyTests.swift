import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a root cron run must survive without doing damage or hiding it: links planted in its
/// output folder, inputs that are missing, its output folder inside an input folder, a signal
/// while it publishes, and standard streams that are closed or full.
@Suite(.serialized) struct NightlySafetyTests {
    let web = "fixtures/web/access.log.gz"

    /// The names in `dir` (hidden ones too), sorted.
    func names(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    func text(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }

    /// Runs `script` with /bin/sh from the repository folder, `$0` being the `journeys` binary;
    /// stdout and stderr go to files in `dir`.
    func sh(_ script: String, in dir: TempDir) throws -> RunResult {
        let out = dir.write("sh-stdout", []), err = dir.write("sh-stderr", [])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script, journeysBinary.path]
        p.currentDirectoryURL = repo
        var env = ProcessInfo.processInfo.environment
        env["JOURNEYS_PII_KEY"] = testPIIKey
        p.environment = env
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle(forWritingAtPath: err)
        try p.run()
        p.waitUntilExit()
        return RunResult(status: p.terminationStatus, stdout: text(out) ?? "", stderr: text(err) ?? "")
    }

    // MARK: - Links in the output folder (issue 9, item 1)

    @Test func aLinkedLockFileIsRefusedAndWhatItPointsToIsUntouched() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("o").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        let victim = dir.write("v", Array("keep\n".utf8))
        try FileManager.default.createSymbolicLink(atPath: out + "/.journeys.lock", withDestinationPath: victim)
        let r = try journeys(["run", "--format", "combined", "--out", out, web])
        #expect(r.status == 73, "\(r.stderr)")
        #expect(r.stderr.contains("\(out)/.journeys.lock: the lock file is a symbolic link"), "\(r.stderr)")
        #expect(text(victim) == "keep\n")
        #expect(names(out) == [".journeys.lock"])

        // A hard link to another file is refused as well: writing the PID would overwrite it.
        try FileManager.default.removeItem(atPath: out + "/.journeys.lock")
        #expect(link(victim, out + "/.journeys.lock") == 0)
        let h = try journeys(["run", "--format", "combined", "--out", out, web])
        #expect(h.status == 73, "\(h.stderr)")
        #expect(h.stderr.contains("\(out)/.journeys.lock: the lock file is a hard link to another file"), "\(h.stderr)")
        #expect(text(victim) == "keep\n")
    }

    /// Outputs whose names are links: the link is replaced, never written through.
    @Test func linkedOutputNamesAreReplacedNotFollowed() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("o").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        let victim = dir.write("v", Array("keep\n".utf8))
        for name in ["journeys.csv", "rejects.ndjson", "summary.json"] {
            try FileManager.default.createSymbolicLink(atPath: out + "/" + name, withDestinationPath: victim)
        }
        let r = try journeys(["run", "--format", "combined", "--out", out, web])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(text(victim) == "keep\n")
        for name in ["journeys.csv", "rejects.ndjson", "summary.json"] {
            #expect(mode(out + "/" + name) != 0)
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: out + "/" + name)) == nil, "\(name) is still a link")
        }
        #expect(mode(out + "/rejects.ndjson") == 0o600)
    }

    // MARK: - events --rejects (item 7)

    @Test func eventsRejectsFileIsCreatedAnewWithMode0600AndNeverThroughALink() throws {
        let dir = TempDir()
        let rejects = dir.write("rejects.ndjson", Array("yesterday\n".utf8))
        #expect(chmod(rejects, 0o644) == 0)
        let other = dir.url.appendingPathComponent("hard-link").path
        #expect(link(rejects, other) == 0)
        let r = try journeys(["events", "--format", "combined", "--rejects", rejects, "fixtures/messy/web.log"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(mode(rejects) == 0o600)
        #expect(text(rejects)?.hasPrefix("{\"input\":\"fixtures/messy/web.log\"") == true)
        // The old file lives on under its other name, untouched.
        #expect(text(other) == "yesterday\n")

        let victim = dir.write("v", Array("keep\n".utf8))
        let linked = dir.url.appendingPathComponent("linked.ndjson").path
        try FileManager.default.createSymbolicLink(atPath: linked, withDestinationPath: victim)
        let l = try journeys(["events", "--format", "combined", "--rejects", linked, "fixtures/messy/web.log"])
        #expect(l.status == 73, "\(l.stderr)")
        #expect(l.stderr.contains(linked) && l.stderr.contains("symbolic link"), "\(l.stderr)")
        #expect(l.stdout.isEmpty)
        #expect(text(victim) == "keep\n")
    }

    // MARK: - Missing inputs (item 8)

    @Test func aMissingInputIsNamedAndTheOthersArePublished() throws {
        let dir = TempDir()
        let alone = dir.url.appendingPathComponent("alone").path
        #expect(try journeys(["run", "--format", "combined", "--out", alone, web]).status == 0)
        let loop = dir.url.appendingPathComponent("loop").path
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
        let missing = dir.url.appendingPathComponent("missing.log.gz").path
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--format", "combined", "--out", out, web, missing, loop])
        #expect(r.status == 66, "\(r.stderr)")
        #expect(r.stderr.contains("error: \(missing): No such file or directory"), "\(r.stderr)")
        #expect(r.stderr.contains("error: \(loop): Too many levels of symbolic links"), "\(r.stderr)")
        // The readable input's reports are published, the same as when it is read alone.
        for name in ["journeys.csv", "funnel.csv", "rejects.ndjson"] {
            #expect(text(out + "/" + name) != nil && text(out + "/" + name) == text(alone + "/" + name), "\(name)")
        }
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        #expect(((summary["run"] as! [String: Any])["inputs"] as? Int) == 3)

        // --strict makes it fatal: nothing is published.
        let strictOut = dir.url.appendingPathComponent("strict").path
        let s = try journeys(["run", "--strict", "--format", "combined", "--out", strictOut, web, missing])
        #expect(s.status == 66, "\(s.stderr)")
        #expect(names(strictOut) == [".failed", ".journeys.lock"]) // the run's rejects, kept aside
        #expect(names(strictOut + "/.failed") == ["rejects.ndjson"])

        // With no input readable at all there is nothing to publish: yesterday's reports stay.
        let n = try journeys(["run", "--format", "combined", "--out", alone, missing])
        #expect(n.status == 66, "\(n.stderr)")
        #expect(n.stderr.contains("no input could be read; nothing was published"), "\(n.stderr)")
        #expect(text(alone + "/journeys.csv") == text(out + "/journeys.csv"))
    }

    @Test func aPatternThatMatchesNothingIsNamedAndTheOtherSourcesAreRead() throws {
        let dir = TempDir()
        let pipeline = dir.write("p.yaml", Array("""
        version: 1
        sources:
          - path: \(repo.path)/\(web)
            format: combined
          - path: \(dir.url.path)/nothing-*.log
            format: combined

        """.utf8))
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--pipeline", pipeline, "--out", out])
        #expect(r.status == 66, "\(r.stderr)")
        #expect(r.stderr.contains("error: \(dir.url.path)/nothing-*.log: no file matches this pattern"), "\(r.stderr)")
        #expect(text(out + "/journeys.csv") != nil)
    }

    @Test func eventsReadsTheOtherInputsWhenOneIsMissing() throws {
        let alone = try journeys(["events", "--format", "combined", web])
        let r = try journeys(["events", "--format", "combined", web, "no/such/file.log"])
        #expect(r.status == 66)
        #expect(r.stderr.contains("error: no/such/file.log: No such file or directory"), "\(r.stderr)")
        #expect(!alone.stdout.isEmpty)
        #expect(r.stdout == alone.stdout)
    }

    // MARK: - Stale temps and the lock (item 12)

    /// A temp whose PID is not running here may belong to a live run in another PID namespace
    /// (a container): only the holder of the lock removes temps.
    @Test func aRunRefusedByTheLockRemovesNoTemps() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        // 4194305 is above Linux's largest pid_max: no process here has it.
        let temp = dir.write("out/.journeys.csv.tmp-4194305", Array("a live run's temp".utf8))
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [out + "/.journeys.lock", "sleep", "2"]
        try holder.run()
        usleep(300_000)
        let r = try journeys(["run", "--format", "combined", "--out", out, web])
        #expect(r.status == 75, "\(r.stderr)")
        #expect(text(temp) == "a live run's temp")
        holder.waitUntilExit()
        // The next run holds the lock: every temp left in the folder is stale, and goes.
        let next = try journeys(["run", "--format", "combined", "--out", out, web])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(!names(out).contains { $0.contains(".tmp-") })
    }

    /// A run waiting for the lock (`--wait`) and stopped by SIGTERM has written nothing, so it
    /// removes nothing: a temp named with its PID belongs to the lock holder (another PID
    /// namespace can hand out the same PID), whose publishing must not fail.
    @Test func aRunStoppedWhileWaitingForTheLockRemovesNoTemps() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [out + "/.journeys.lock", "sleep", "3"]
        try holder.run()
        usleep(300_000)
        let waiting = Process()
        waiting.executableURL = journeysBinary
        waiting.arguments = ["run", "--wait", "--quiet", "--max-reject-ratio", "1", "--format", "combined", "--out", out, web]
        waiting.environment = ProcessInfo.processInfo.environment.merging(["JOURNEYS_PII_KEY": testPIIKey]) { $1 }
        waiting.standardError = FileHandle.nullDevice
        waiting.currentDirectoryURL = repo
        try waiting.run()
        usleep(500_000)
        let temp = dir.write("out/.journeys.csv.tmp-\(waiting.processIdentifier)", Array("the holder's temp".utf8))
        waiting.terminate()
        waiting.waitUntilExit()
        #expect(waiting.terminationStatus == 143)
        #expect(text(temp) == "the holder's temp")
        holder.waitUntilExit()
    }

    /// When every input is the output folder (or in it), nothing is read: exit 66, and yesterday's
    /// reports are not replaced by empty ones.
    @Test func aRunWhoseEveryInputIsTheOutputFolderPublishesNothing() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("reports").path
        let first = try journeys(["run", "--format", "combined", "--out", out, web])
        #expect(first.status == 0, "\(first.stderr)")
        let journeysCSV = text(out + "/journeys.csv")
        let r = try journeys(["run", "--format", "combined", "--out", out, out])
        #expect(r.status == 66, "\(r.stderr)")
        #expect(r.stderr.contains("error: every input is the output folder \(out) or in it; nothing was read or published"), "\(r.stderr)")
        #expect(text(out + "/journeys.csv") == journeysCSV)
    }

    // MARK: - The output folder inside an input folder (item 13)

    @Test func theOutputFolderIsNeverReadAsInput() throws {
        let dir = TempDir()
        let logs = dir.url.appendingPathComponent("logs").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: repo.appendingPathComponent("fixtures/messy/web.log").path, toPath: logs + "/web.log")
        let pipeline = dir.write("p.yaml", Array("""
        version: 1
        sources:
          - path: \(logs)/*
            format: combined

        """.utf8))
        // The output folder is reached through another path (a link), so a comparison of
        // names would miss it.
        let alias = dir.url.appendingPathComponent("alias").path
        try FileManager.default.createSymbolicLink(atPath: alias, withDestinationPath: logs)
        let out = alias + "/reports"
        let first = try journeys(["run", "--pipeline", pipeline, "--out", out])
        #expect(first.status == 0, "\(first.stderr)")
        let rejects = text(out + "/rejects.ndjson")
        let journeysCSV = text(out + "/journeys.csv")
        #expect(rejects != nil && journeysCSV != nil)
        // The second night: logs/* now matches logs/reports too.
        let second = try journeys(["run", "--pipeline", pipeline, "--out", out])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("note: skipped \(logs)/reports: it is the output folder \(out)"), "\(second.stderr)")
        #expect(text(out + "/rejects.ndjson") == rejects)
        #expect(text(out + "/journeys.csv") == journeysCSV)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        #expect(((summary["run"] as! [String: Any])["inputs"] as? Int) == 1)
    }

    // MARK: - Exit statuses (item 14)

    @Test func aSignalAfterPublishingLeavesTheRunsOwnStatus() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--format", "combined", "--out", out, web],
                             environment: ["JOURNEYS_TEST_FAULT": "sigterm-while-publishing"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("journeys: note: SIGTERM arrived after the outputs in \(out) were published"), "\(r.stderr)")
        #expect(text(out + "/summary.json") != nil)
        #expect(!names(out).contains { $0.contains(".tmp-") })
    }

    @Test(arguments: [["check", "pipelines/shop.yaml"], ["formats"]])
    func aFullStandardOutputIsAnIOError(_ args: [String]) throws {
        let dir = TempDir()
        let r = try sh("exec \"$0\" \(args.joined(separator: " ")) > /dev/full", in: dir)
        #expect(r.status == 74, "\(r.stderr)")
        #expect(r.stderr.contains("journeys: error: cannot write standard output: No space left on device"), "\(r.stderr)")
    }

    // MARK: - Closed standard descriptors (item 15)

    @Test func eventsWithStandardOutputClosedFailsAndWritesNothingElsewhere() throws {
        let dir = TempDir()
        let rejects = dir.url.appendingPathComponent("rejects.ndjson").path
        let r = try sh("exec \"$0\" events --format combined --rejects \(rejects) \(web) >&-", in: dir)
        #expect(r.status == 74, "\(r.stderr)")
        #expect(r.stderr.contains("journeys: error: standard output is closed"), "\(r.stderr)")
        #expect(text(rejects) == nil)
    }

    @Test func runWithStandardInputClosedPublishesNothing() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        let r = try sh("exec \"$0\" run --format combined --out \(out) - <&-", in: dir)
        #expect(r.status == 66, "\(r.stderr)")
        #expect(r.stderr.contains("error: <stdin>: standard input was closed when journeys started"), "\(r.stderr)")
        #expect(!names(out).contains("journeys.csv"))
    }

    /// Issue 12: `zcat access.log.1.gz | journeys run` after a failed zcat reads an empty stdin.
    /// That is no night without visitors: exit 65, and yesterday's reports stay as they were
    /// (byte for byte); `--allow-empty` publishes empty reports when that is what is meant.
    @Test func anEmptyStdinKeepsYesterdaysReports() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        let first = try journeys(["run", "--out", out, web])
        #expect(first.status == 0, "\(first.stderr)")
        // Every report byte for byte (the lock file holds the last run's process id; the failed
        // run's rejects are set aside in .failed/).
        func reports() -> [(String, String?)] { names(out).filter { !$0.hasPrefix(".") }.map { ($0, text(out + "/" + $0)) } }
        let before = reports()
        let empty = try journeys(["run", "--out", out, "-"], stdin: [])
        #expect(empty.status == 65, "\(empty.stderr)")
        #expect(empty.stderr.contains("no line was read") && empty.stderr.contains("--allow-empty"), "\(empty.stderr)")
        #expect(reports().elementsEqual(before, by: ==))
        let allowed = try journeys(["run", "--out", out, "--allow-empty", "-"], stdin: [])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(text(out + "/summary.json")?.contains(#""lines": 0"#) == true)
    }

    /// Issue 12: the exit status is the worst outcome over all inputs, whatever their order: an
    /// input whose format cannot be told (65) and a truncated gzip (3) give 65 both ways round, a
    /// missing input (66) and a truncated one give 66 both ways round.
    @Test func theExitStatusIsTheWorstWhateverTheOrder() throws {
        let dir = TempDir()
        let gz = try Data(contentsOf: repo.appendingPathComponent(web))
        let truncated = dir.write("cut.log.gz", Array(gz.prefix(gz.count - 20)))
        let unknown = dir.write("notes.log", Array("hello there\nnothing to see\n".utf8))
        let missing = dir.url.appendingPathComponent("missing.log.gz").path
        for (inputs, status) in [([unknown, truncated], Int32(65)), ([truncated, unknown], 65), ([missing, truncated], 66), ([truncated, missing], 66)] {
            let r = try journeys(["run", "--out", dir.url.appendingPathComponent("out").path, "--max-reject-ratio", "1"] + inputs)
            #expect(r.status == status, "\(inputs.map { URL(fileURLWithPath: $0).lastPathComponent }): \(r.stderr)")
        }
    }

    /// Issue 12: after a pipeline stops writing a table or a format, its old files go when the
    /// new set is published, so the folder is always one run's output. Files journeys does not
    /// write stay; a link in an output's place is removed itself, never what it points to.
    @Test func outputsAnEarlierRunWroteAndThisOneDoesNotAreRemoved() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        func pipeline(_ outputs: String) -> String {
            dir.write("p.yaml", Array("sources:\n  - path: \(repo.path)/\(web)\noutputs: \(outputs)\n".utf8))
        }
        let all = try journeys(["run", "--pipeline", pipeline("{tables: [journeys, funnel, daily], formats: [csv, json]}"), "--out", out])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(names(out).contains("funnel.json") && names(out).contains("daily.csv"))
        let notes = dir.write("out/notes.txt", Array("mine\n".utf8))
        let target = dir.write("precious.txt", Array("keep me\n".utf8))
        unlink(out + "/journeys.json")
        #expect(symlink(target, out + "/journeys.json") == 0)
        let fewer = try journeys(["run", "--pipeline", pipeline("{tables: [journeys, funnel], formats: [csv]}"), "--out", out])
        #expect(fewer.status == 0, "\(fewer.stderr)")
        #expect(names(out).filter { !$0.hasPrefix(".") } == ["funnel.csv", "journeys.csv", "notes.txt", "rejects.ndjson", "summary.json"])
        #expect(text(notes) == "mine\n" && text(target) == "keep me\n")
    }

    /// Issue 12: a run that fails over its reject ratio says where its rejects are, and they are
    /// there (`OUT/.failed/rejects.ndjson`, mode 0600) while the reports stay yesterday's; the
    /// next run that publishes removes them.
    @Test func aFailedRunKeepsItsRejectsWhereItSays() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        #expect(try journeys(["run", "--out", out, web]).status == 0)
        let summary = text(out + "/summary.json")
        let bad = dir.write("bad.log", Array("garbage one\ngarbage two\n".utf8))
        let r = try journeys(["run", "--out", out, "--format", "combined", bad], asGiven: true)
        #expect(r.status == 65)
        #expect(r.stderr.contains("this run's rejects are in \(out)/.failed/rejects.ndjson"), "\(r.stderr)")
        let kept = text(out + "/.failed/rejects.ndjson") ?? ""
        #expect(kept.split(separator: "\n").count == 2 && kept.contains("garbage one"))
        #expect(mode(out + "/.failed/rejects.ndjson") == 0o600)
        #expect(text(out + "/summary.json") == summary)
        #expect(try journeys(["run", "--out", out, web]).status == 0)
        #expect(!names(out).contains(".failed"))
    }
}
