import Foundation
import JourneysCore
import JourneysIO
import JourneysReaders
import JourneysReports
import JourneysStages

/// Settings of `journeys run`, gathered by the command line.
public struct RunRequest: Sendable {
    /// What to read and how (see `ReadFrontEnd`).
    public var read: ReadRequest
    public var outDir = "journeys-out"
    public var bom = true
    /// Wait for another run holding the output directory's lock instead of failing (75).
    public var waitForLock = false
    /// Touchpoints held in memory beyond this many bytes spill to temporary files (see `TouchpointStore`).
    public var memoryLimit = RunJob.defaultMemoryLimit
    /// `--state DIR` / the pipeline's `state:`: what earlier nights read (see `StateFile`).
    public var state = StateSettings()
    /// `--since` / `--until`: the first and last day (`YYYY-MM-DD`, in the pipeline's zone) the
    /// reports cover.
    public var since: String?
    public var until: String?
    /// Called now and then (on the calling thread) with lines and touchpoints read so far.
    public var progress: (@Sendable (Int64, Int64) -> Void)?

    public init(read: ReadRequest) { self.read = read }

    /// The pipeline and the thread count of the reading, for the stages after it.
    public var pipeline: PipelineConfig { read.pipeline }
    public var threads: Int { read.threads }
}

/// What a run did, for the command to print and map to an exit status.
public struct RunReport: Sendable {
    public var status: ExitStatus
    public var messages: [String]
    public var inputs: [InputSummary]
    public var statistics: RunStatistics
    /// Files published in the output directory (empty when nothing was published).
    public var published: [String]
}

/// `journeys run`: reads every input, stitches journeys, writes the report files atomically.
///
/// Nothing is published unless everything was written: outputs go to temp files in the output
/// directory and are renamed into place at the end, so yesterday's files stay whole when a run
/// fails. What is read, and the verdict on it, is the read front-end's (`ReadFrontEnd`).
public enum RunJob {
    /// The default `--max-reject-ratio`: more than 1 line in 100 rejected fails the run.
    public static let defaultMaxRejectRatio = 0.01

    /// The default `--memory-limit`: a quarter of the memory this process may use (the
    /// machine's, or its control group's limit when lower), at least 256 MiB.
    public static var defaultMemoryLimit: Int64 {
        var total = Int64(ProcessInfo.processInfo.physicalMemory)
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let s = try? String(contentsOfFile: path, encoding: .utf8),
               let v = Int64(s.trimmingCharacters(in: .whitespacesAndNewlines)), v > 0, v < total {
                total = v
            }
        }
        return max(256 << 20, total / 4)
    }

    /// Held while outputs are renamed into place: a signal handler that takes it first knows
    /// that nothing is being published while it removes this run's temp files.
    public static let publishLock = NSLock()
    /// Set (under `publishLock`) once this process has published its outputs.
    nonisolated(unsafe) public static var published = false
    /// Set (under `publishLock`) once this process holds the output directory's lock: before
    /// that it has written nothing there, and a temp named with its PID is another run's.
    nonisolated(unsafe) public static var holdsLock = false

    /// Where a failed run leaves its rejects (`OUT/.failed/rejects.ndjson`): never read as input,
    /// replaced by the next failed run, left alone by a successful one.
    static let failedFolder = ".failed"

    /// What the lines of the gzip member being read became so far, and where its rejects start
    /// in rejects.ndjson, so that the member can be taken back whole if its check fails.
    struct MemberLines {
        var input: Int32 = -1
        var member = 0
        /// Its lines, counted as an input's are (`InputSummary.absorb`).
        var counts = InputSummary(name: "")
        var rejectsStart: Int64 = 0

        mutating func add(_ h: ChunkResult.Header) { counts.absorb(h) }
    }

    /// Policy for damaged inputs: a member whose CRC / length check or deflate data failed (where
    /// decoding stops) contributes nothing, whatever the reader made of its lines: each counts as
    /// rejected `damaged_input`, and its rejects, rejected events, skips and touchpoints are taken
    /// back. A truncated input keeps the complete lines decoded before the cut. Returns the summary
    /// with the member taken back, or nil when no member failed (or it had no lines).
    static func takeBack(_ m: MemberLines, of s: InputSummary) -> InputSummary? {
        let lines = m.counts.lines
        guard let d = s.damage, d.kind == .checksum || d.kind == .corrupt, d.member > 0, m.member == d.member, lines > 0 else { return nil }
        func subtract(_ taken: [RejectReason: Int64], from counts: inout [RejectReason: Int64]) {
            for (reason, n) in taken {
                counts[reason, default: 0] -= n
                if counts[reason] == 0 { counts[reason] = nil }
            }
        }
        var s = s
        s.lastKeptLine = s.lines - lines
        s.touchpointLines -= m.counts.touchpointLines
        s.skips.subtract(m.counts.skips)
        subtract(m.counts.rejects, from: &s.rejects)
        subtract(m.counts.rejectedEvents, from: &s.rejectedEvents)
        s.ignoredEvents -= m.counts.ignoredEvents
        s.rejects[.damagedInput, default: 0] += lines
        s.discardedLines = lines
        return s
    }

    public static func run(_ req: RunRequest) -> RunReport {
        let started = Date()
        var front: ReadFrontEnd
        do throws(ReadFailure) { front = try ReadFrontEnd(req.read, for: .reports, excluding: req.outDir) } catch {
            return RunReport(status: error.status, messages: error.messages, inputs: [], statistics: RunStatistics(), published: [])
        }
        var notes = front.notes
        let names = front.names

        // The state folder: locked for the whole run; what it remembers is left out of the inputs.
        var state: OpenState?
        if let dir = req.state.dir {
            do throws(ReadFailure) {
                let s = try OpenState(dir: dir, outDir: req.outDir, wait: req.waitForLock, keyCheck: StateFile.keyCheck(front.pii),
                                      chatVisitorIsWebVisitor: req.pipeline.journey.chatVisitorIsWebVisitor)
                try front.remember(s.candidates, spoolDirectory: dir)
                state = s
            } catch {
                return RunReport(status: error.status, messages: notes + error.messages, inputs: [], statistics: RunStatistics(), published: [])
            }
        }

        // Open the directory, take its lock, and only then remove temps that killed runs left:
        // under the lock no other run can be writing here.
        let directory: OutputDirectory
        let lock: RunLock
        do {
            directory = try OutputDirectory(path: req.outDir)
            lock = try RunLock(directory: directory, wait: req.waitForLock)
            publishLock.withLock { holdsLock = true }
            try directory.removeStaleTemps()
        } catch {
            let status: ExitStatus = if case .held? = error as? RunLock.Failure { .tempFail } else { .cannotCreate }
            return RunReport(status: status, messages: ["error: \(error)"], inputs: [], statistics: RunStatistics(), published: [])
        }
        defer { withExtendedLifetime(lock) {} }

        // Read everything into the touchpoint store; rejects stream into rejects.ndjson (mode
        // 0600: raw lines may hold personal data).
        let store = TouchpointStore(config: req.pipeline.journey, directory: directory.path, memoryLimit: req.memoryLimit)
        // The state's touchpoints first, in the ids they were stored with (its inputs are the
        // run's first; those read now come after them, from `base`).
        if let s = state {
            do { try s.load(into: store, retentionDays: req.state.retentionDays) } catch {
                directory.discard()
                let status: ExitStatus = error is StateError ? .dataError : .writing(error)
                return RunReport(status: status, messages: notes + ["error: state \(error); nothing was read or published, the previous outputs in \(req.outDir) and the state are unchanged"],
                                 inputs: [], statistics: RunStatistics(), published: [])
            }
        }
        let base = store.inputBase
        var summaries: [InputSummary] = []
        var linesSoFar: Int64 = 0
        var lastProgress = Date()
        var member = MemberLines()
        var discardFrom: [Int32: Int] = [:]
        let journey = req.pipeline.journey
        do {
            try directory.write("rejects.ndjson", mode: 0o600) { file in
                summaries = try front.read(rejects: { try file.write($0) }, work: { r in
                    TouchpointStore.encode(r.batch, member: r.lastMember, config: journey)
                }, consume: { chunk, header in
                    if header.input != member.input || header.lastMember != member.member {
                        member = MemberLines(input: header.input, member: header.lastMember, rejectsStart: file.written)
                    }
                    member.add(header)
                    try store.add(chunk)
                    linesSoFar += header.lines
                    if let progress = req.progress, Date().timeIntervalSince(lastProgress) > 0.5 {
                        lastProgress = Date()
                        progress(linesSoFar, store.count)
                    }
                }, finished: { i, s in
                    // A member whose check failed is the last one read: its rejects are the end of
                    // the file so far. They give way to one entry for all its lines (see `takeBack`).
                    guard member.input == Int32(i), let taken = Self.takeBack(member, of: s) else { return }
                    s = taken
                    discardFrom[base + member.input] = member.member
                    try file.truncate(to: member.rejectsStart)
                    var o: [UInt8] = []
                    RejectsFormat.appendDamage(input: s.name, firstLine: s.lines - member.counts.lines + 1, lines: member.counts.lines,
                                               touchpointLines: member.counts.touchpointLines, reason: s.damage!.description, to: &o)
                    try file.write(o)
                })
            }
        } catch let e as ReadFailure {
            directory.discard()
            return RunReport(status: e.status, messages: e.messages, inputs: summaries, statistics: RunStatistics(), published: [])
        } catch {
            directory.discard()
            return RunReport(status: .writing(error), messages: notes + ["error: \(error); nothing was published, the previous outputs in \(req.outDir) are unchanged"],
                             inputs: summaries, statistics: RunStatistics(), published: [])
        }

        func fail(_ status: ExitStatus, _ messages: [String]) -> RunReport {
            directory.discard()
            state?.directory.discard()
            return RunReport(status: status, messages: notes + messages, inputs: summaries, statistics: RunStatistics(), published: [])
        }
        let readDone = Date()
        let readRSS = MemoryUse.current()
        let judged = front.judge(summaries)
        if let failure = judged.failure {
            // The rejects of a failed run are kept where the message can point to them.
            var whereRejects = ""
            if let kept = try? directory.salvage("rejects.ndjson", into: Self.failedFolder) { whereRejects = "; this run's rejects are in \(kept)" }
            return fail(judged.status, judged.messages + ["error: \(failure); nothing was published, the previous outputs in \(req.outDir) are unchanged\(whereRejects)"])
        }

        // The state's touchpoints join this run's (as inputs after this run's), and the new state
        // is written beside the old one, to be renamed into place before the reports are.
        var discard = TouchpointStore.Discard(fromMember: discardFrom)
        var inputNames = names
        var stateStatistics: StateStatistics?
        if let s = state { inputNames = s.header.inputs.map(\.name) + names }
        if let s = state {
            do {
                let updated = try s.update(store: store, summaries: summaries, retentionDays: req.state.retentionDays,
                                           discard: &discard)
                notes += updated.notes
                stateStatistics = updated.statistics
            } catch {
                s.directory.discard()
                return fail(error is StateError ? .dataError : .writing(error), ["error: state \(s.path): \(error); nothing was published, the previous outputs in \(req.outDir) and the state are unchanged"])
            }
        }

        // The reports' window (the state, written above, keeps what is outside it).
        let zone = req.pipeline.journey.zone
        if let d = req.since.flatMap(Self.dayNumber) { discard.windowFrom = zone.utc(local: d * 86_400_000) }
        if let d = req.until.flatMap(Self.dayNumber) { discard.windowTo = zone.utc(local: (d + 1) * 86_400_000) }

        // Stitch, drop repeats (the same record read twice — a file named twice, overlapping
        // rotations — counts once) and build the journeys, partition by partition; each
        // partition's journeys go to the reports as they are built and are not held.
        /// The lines of an input did not add up (a bug): exit 70.
        struct Unbalanced: Error { let message: String }
        var built = TouchpointStore.Built(touchpoints: [], duplicateLines: [])
        var stats = RunStatistics()
        let kinds = req.pipeline.outputs.tables.compactMap(ReportKind.init(rawValue:))
        let formats = req.pipeline.outputs.formats.compactMap(TableFormat.init(rawValue:))
        var builtDone = Date()
        var builtRSS = ""
        do {
            try Reports.write(config: req.pipeline.journey, options: ReportOptions(kinds: kinds, formats: formats, bom: req.bom),
                              into: directory) { add in
                built = try store.build(inputNames: inputNames, config: req.pipeline.journey, threads: req.threads, discard: discard,
                                        emit: add)
                stats.version = JourneysVersion.string
                stats.generatedAt = Self.now()
                stats.pipeline = req.pipeline.file
                stats.pipelineSHA256 = req.pipeline.sha256
                stats.timezone = zone.name
                stats.since = req.since
                stats.until = req.until
                stats.outsideWindow = built.outsideWindow
                stats.state = stateStatistics
                builtDone = Date()
                builtRSS = MemoryUse.current()
                for i in summaries.indices {
                    summaries[i].touchpoints = built.touchpoints[Int(base) + i]
                    summaries[i].duplicates = built.duplicateLines[Int(base) + i]
                    summaries[i].touchpointLines -= built.duplicateLines[Int(base) + i]
                }
                if ProcessInfo.processInfo.environment["JOURNEYS_TEST_FAULT"] == "conservation", !summaries.isEmpty {
                    summaries[0].lines += 1 // a test hook: proves the check below stops a run (exit 70)
                }

                // Conservation: every line is a touchpoint line, a skip, a duplicate or a reject.
                for s in summaries where s.lines != s.touchpointLines + s.skips.total + s.duplicates + s.rejected {
                    throw Unbalanced(message: "error: internal error: the lines of \(s.name) do not add up (\(s.lines) read, \(s.touchpointLines) touchpoint lines, \(s.skips.total) skipped, \(s.duplicates) duplicates, \(s.rejected) rejected); nothing was published. Please report this with the input")
                }

                stats.inputs = summaries.count
                stats.damagedInputs = summaries.filter { $0.isDamaged || $0.openError != nil }.count
                stats.bytes = summaries.reduce(0) { $0 + $1.compressedBytes }
                stats.lines = summaries.reduce(0) { $0 + $1.lines }
                stats.touchpoints = summaries.reduce(0) { $0 + $1.touchpoints }
                for s in summaries {
                    for reason in SkipReason.allCases where s.skips[reason] > 0 { stats.skipped[reason.rawValue, default: 0] += s.skips[reason] }
                    for (reason, n) in s.rejects { stats.rejects[reason.rawValue, default: 0] += n }
                    for (reason, n) in s.rejectedEvents { stats.rejectedEvents[reason.rawValue, default: 0] += n }
                    stats.ignoredEvents += s.ignoredEvents
                }
                stats.persons = built.persons
                stats.mergesBlocked = built.mergesBlocked
                stats.elapsedSeconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
                stats.duplicates = built.duplicates
                stats.inputsDetail = summaries.map { s in
                    var d = InputDetail(name: s.name, format: s.format)
                    d.formatDetected = s.formatDetected
                    d.lines = s.lines
                    d.touchpoints = s.touchpointLines
                    for reason in SkipReason.allCases where s.skips[reason] > 0 { d.skipped[reason.rawValue] = s.skips[reason] }
                    d.duplicates = s.duplicates
                    for (reason, n) in s.rejects where n > 0 { d.rejected[reason.rawValue] = n }
                    for (reason, n) in s.rejectedEvents { d.rejectedEvents[reason.rawValue] = n }
                    d.ignoredEvents = s.ignoredEvents
                    d.damage = s.damageText ?? s.openError.map { "\($0)" }
                    return d
                }
                return stats
            }
        } catch let e as Unbalanced {
            return fail(.software, [e.message])
        } catch {
            return fail(.writing(error), ["error: \(error); nothing was published, the previous outputs in \(req.outDir) are unchanged"])
        }

        do {
            let published = directory.pendingNames
            publishLock.lock()
            defer { publishLock.unlock() }
            if ProcessInfo.processInfo.environment["JOURNEYS_TEST_FAULT"] == "sigterm-while-publishing" {
                kill(getpid(), SIGTERM) // a test hook: the signal arrives while the outputs are renamed
                usleep(500_000)
            }
            // The state first: once it is in place, any later failure is repaired by the next
            // run, whose reports are rebuilt from it.
            if let s = state {
                let fault = ProcessInfo.processInfo.environment["JOURNEYS_TEST_FAULT"]
                if fault == "kill-before-state-commit" { kill(getpid(), SIGKILL) } // test hooks: a crash either side
                try s.directory.commit()
                if fault == "kill-after-state-commit" { kill(getpid(), SIGKILL) }
            }
            // Once every file is renamed into place the run has published, even if the
            // directory's fsync then fails (74, and it says so rather than "unchanged").
            defer { Self.published = directory.isPublished }
            // Outputs of an earlier run that this one does not write (a table the pipeline
            // dropped, JSON no longer asked for) go, so the folder is always one run's output.
            let ours = ReportKind.allCases.flatMap { k in TableFormat.allCases.map { k.fileName($0) } } + ["summary.json", "rejects.ndjson"]
            let kept = try directory.commit(removing: ours)
            directory.removeSalvaged("rejects.ndjson", in: Self.failedFolder) // an earlier failed run's
            var report = judged
            for k in kept { report.messages.append("warning: could not remove an earlier run's output \(k)") }
            if ProcessInfo.processInfo.environment["JOURNEYS_TIMINGS"] == "1" {
                func s(_ seconds: Double) -> String { String(format: "%.2f s", seconds) }
                func s(_ a: Date, _ b: Date) -> String { s(b.timeIntervalSince(a)) }
                report.messages.append("timings: read \(s(started, readDone)), stitch and build \(s(readDone, builtDone)) (decoding \(s(built.decodeSeconds)), journeys \(s(built.journeySeconds))), reports \(s(builtDone, Date())); \(store.count) touchpoints in \(store.storedBytes / 1_000_000) MB of records, \(store.strings.paths.count + store.strings.values.count) strings in \(store.strings.heldBytes / 1_000_000) MB, \(built.partitions) partitions, \(store.graph.keyCount) keys; resident after reading \(readRSS), after building \(builtRSS), now \(MemoryUse.current())")
            }
            if store.isSpilled {
                report.messages.append("note: \(store.storedBytes / 1_000_000) MB of touchpoints were over half the memory limit (\(req.memoryLimit / 1_048_576) MiB) and went to temporary files; journeys were built in \(built.partitions) partitions")
            }
            if built.outsideWindow > 0 {
                let window = [req.since.map { "--since \($0)" }, req.until.map { "--until \($0)" }].compactMap { $0 }.joined(separator: " ")
                report.messages.append("note: \(built.outsideWindow) touchpoints outside \(window) (days in \(zone.name)) were left out of the reports")
            }
            if !built.blockedKeys.isEmpty {
                report.messages.append("note: \(built.mergesBlocked) merges blocked: keys linked to more than \(req.pipeline.journey.mergeLimit) others of one kind (\(built.blockedKeys.prefix(5).joined(separator: ", "))\(built.blockedKeys.count > 5 ? ", …" : ""))")
            }
            return RunReport(status: report.status, messages: notes + report.messages, inputs: summaries, statistics: stats, published: published)
        } catch {
            directory.discard()
            // A rename that fails half-way through publishing names what it already published.
            let partial = "\(error)".contains("already published")
            let tail = directory.isPublished ? "; the outputs in \(req.outDir) were published, but may not survive a power cut"
                : partial ? "" : "; the previous outputs in \(req.outDir) are unchanged"
            return RunReport(status: .writing(error), messages: notes + ["error: \(error)\(tail)"], inputs: summaries, statistics: stats, published: [])
        }
    }
}

extension RunJob {
    /// Days since 1970-01-01 of a `YYYY-MM-DD` date, nil when it is not one.
    public static func dayNumber(_ text: String) -> Int64? {
        let p = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, p.count == 3, let y = Int(p[0]), let m = Int(p[1]), let d = Int(p[2]),
              p[0].count == 4, (1...12).contains(m), d >= 1, d <= Timestamp.daysInMonth(y, m) else { return nil }
        return Timestamp.daysFromCivil(year: y, month: m, day: d)
    }

    /// Now, in UTC ms: `SOURCE_DATE_EPOCH` (seconds) when set, as reproducible builds do, so that
    /// outputs made again can be compared byte for byte.
    static func now() -> Int64 {
        if let s = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let v = Int64(s) { return v * 1000 }
        return Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}

/// Resident memory of this process, for `JOURNEYS_TIMINGS=1`.
enum MemoryUse {
    /// `VmRSS (peak VmHWM)` from /proc/self/status, in MB.
    static func current() -> String {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "?" }
        func field(_ name: String) -> String {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
                  let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return "?" }
            return "\(kb / 1000) MB"
        }
        return "\(field("VmRSS")) (peak \(field("VmHWM")))"
    }
}
