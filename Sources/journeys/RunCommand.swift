import ArgumentParser
import Foundation
import JourneysIO
import JourneysPipeline

#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Turn logs into per-person journeys and write the report files (CSV / JSON) an analyst opens.",
        discussion: """
        Reads the inputs named here, which replace the pipeline's sources (as in `events`), or, \
        when none are named, the pipeline's sources (standard input when it has none). Each \
        named input's format is detected from its first lines unless --format is given; --format, \
        --log-format and --timezone override the pipeline's settings for every input read. \
        Stitches touchpoints into persons, sessions, acquisition channels and journey stages, and writes into --out: \
        journeys.csv, funnel.csv, channels.csv, attribution.csv, paths.csv, pain_points.csv, \
        daily.csv (and .json where the pipeline asks), summary.json and rejects.ndjson.

        Without --pipeline the embedded default pipeline is used (pipelines/default.yaml shows \
        it written out). Outputs are written to temporary files and renamed into place only when \
        all of them were written, so a failed run leaves the previous outputs as they were.

        A summary goes to standard error; while it works, a progress line is shown when standard \
        error is a terminal (never under cron).

        \(ExitStatus.helpText)
        """
    )

    @OptionGroup var read: ReadOptions

    @Option(name: .long, help: ArgumentHelp("Output directory (default: the pipeline's outputs.dir, else ./journeys-out).", valueName: "dir"))
    var out: String?

    @Flag(name: .long, help: "Leave out the UTF-8 byte-order mark at the start of CSV files.")
    var noBom = false

    @Flag(name: .long, help: "Do not print the summary on standard error.")
    var quiet = false

    @Flag(name: .long, help: "When another run holds the output directory's lock, wait for it instead of failing with 75.")
    var wait = false

    @Flag(name: .long, help: "Publish reports even when no line was read. Without it, zero lines (an empty stdin, empty files) is exit 65 and the previous reports stay.")
    var allowEmpty = false

    @Option(name: .long, help: ArgumentHelp("""
        Keep what each run reads in this folder (the pipeline's state.dir), and write every report over \
        all of it within the retention (state.retention, default 400 days): a nightly run then reads only \
        what is new. Inputs are recognised by their content, not their names, so rotated and \
        compressed copies are not read twice and a log that grew adds only its new lines. See \
        `journeys state --help`.
        """, valueName: "dir"))
    var state: String?

    @Option(name: .long, help: ArgumentHelp("The first day the reports cover (YYYY-MM-DD, a day of the pipeline's timezone); touchpoints before it are left out of them (the state keeps them).", valueName: "date"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("The last day the reports cover (YYYY-MM-DD, included, a day of the pipeline's timezone).", valueName: "date"))
    var until: String?

    func validate() throws {
        for (name, value) in [("--since", since), ("--until", until)] {
            if let v = value, RunJob.dayNumber(v) == nil { throw ValidationError("\(name): \"\(v)\" is not a date such as 2026-10-01") }
        }
        if let a = since.flatMap(RunJob.dayNumber), let b = until.flatMap(RunJob.dayNumber), a > b {
            throw ValidationError("--since \(since!) is after --until \(until!)")
        }
    }

    @Option(name: .long, help: ArgumentHelp("""
        Memory for touchpoints, identity keys and persons, e.g. 512M or 4G (K, M, G, T are powers of 1024), \
        plus a fixed overhead of some 30-40 MB. Beyond half of it, touchpoints and the keys' text go to \
        unnamed temporary files in the output directory and journeys are built in partitions, with the \
        same outputs (default: a quarter of the machine's or control group's memory, at least 256M). \
        README "Memory" says what it does not bound.
        """, valueName: "size"), transform: { s in
        guard let v = MemorySize.parse(s) else { throw ValidationError("--memory-limit: \"\(s)\" is not a size such as 512M or 4G") }
        return v
    })
    var memoryLimit: Int64?

    func run() throws {
        ProcessSetup.forStreaming()
        var readRequest = try read.request(command: "run")
        readRequest.allowEmpty = allowEmpty
        var req = RunRequest(read: readRequest)
        if noBom, !req.pipeline.outputs.formats.contains("csv") {
            throw ValidationError("--no-bom leaves the byte-order mark out of CSV files, and the pipeline's outputs.formats writes none")
        }
        req.outDir = out ?? req.pipeline.outputs.dir ?? "journeys-out"
        req.bom = !noBom
        req.waitForLock = wait
        if let m = memoryLimit { req.memoryLimit = m }
        req.state = req.pipeline.state
        if let state { req.state.dir = state }
        req.since = since
        req.until = until
        Interrupts.removeTempsOnSignal(outDir: req.outDir)
        let interactive = isatty(2) == 1 && !quiet
        if interactive {
            req.progress = { lines, tps in
                Stderr.raw("\rjourneys: \(lines) lines, \(tps) touchpoints…")
            }
        }
        let report = RunJob.run(req)
        Interrupts.finish()
        if interactive { Stderr.raw("\r\u{1B}[K") }
        for m in report.messages { Stderr.line("journeys: \(m)") }
        if !quiet {
            let s = report.statistics
            if !report.inputs.isEmpty { Stderr.line(Summary.text(report.inputs)) }
            if !report.published.isEmpty {
                Stderr.line("journeys: \(s.persons) persons (\(s.mergesBlocked) merges blocked) in \(s.elapsedSeconds) s; wrote \(report.published.sorted().joined(separator: ", ")) to \(req.outDir)/")
            }
        }
        if report.status != .ok { throw ExitCode(report.status.rawValue) }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a pipeline file without reading any log.",
        discussion: """
        Every error names the file, the line and the key path, e.g. \
        `shop.yaml:12: stages.rules[2].stage: "checkout" is not in stages.order`. \
        Exit status 0 when the file is valid, 78 when it is not.
        """
    )

    @Argument(help: ArgumentHelp("The pipeline file (YAML).", valueName: "file"))
    var file: String

    func run() throws {
        let text: String
        do {
            let c = try PipelineConfig.load(path: file)
            let formats = Set(c.sources.compactMap(\.format)).sorted()
            text = "\(file): ok: \(c.sources.count) source\(c.sources.count == 1 ? "" : "s")\(formats.isEmpty ? "" : " (\(formats.joined(separator: ", ")))"), stages \(c.journey.stages.joined(separator: " > ")), \(c.journey.stageRules.count) stage rules, outputs \(c.outputs.tables.joined(separator: ", ")) as \(c.outputs.formats.joined(separator: " and "))\n"
        } catch {
            Stderr.line("journeys: error: \(error)")
            throw ExitCode(ExitStatus.config.rawValue)
        }
        try StandardOutput.write(text)
    }
}

/// SIGTERM / SIGINT during a run: remove this run's temp files, publish nothing, exit 128 + signal.
/// Before the run holds the output directory's lock it has written nothing there, so it removes
/// nothing (a temp with its PID would be the lock holder's, from another PID namespace).
/// A signal that arrives while the outputs are renamed into place waits for that to finish;
/// once they are published the run has succeeded, so it only says so and the run ends with its
/// own exit status.
enum Interrupts {
    nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []
    static let queue = DispatchQueue(label: "journeys.signal")

    static func removeTempsOnSignal(outDir: String) {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            src.setEventHandler {
                // Not while outputs are being renamed into place: wait for that to finish.
                RunJob.publishLock.lock()
                defer { RunJob.publishLock.unlock() }
                let name = sig == SIGTERM ? "SIGTERM" : "SIGINT"
                if RunJob.published {
                    Stderr.line("journeys: note: \(name) arrived after the outputs in \(outDir) were published; the run completed")
                    return
                }
                let suffix = ".tmp-\(getpid())"
                if RunJob.holdsLock, let names = try? FileManager.default.contentsOfDirectory(atPath: outDir) {
                    for n in names where n.hasPrefix(".") && n.hasSuffix(suffix) { unlink(outDir + "/" + n) }
                }
                Stderr.line("journeys: interrupted by \(name); nothing was published, the previous outputs in \(outDir) are unchanged")
                _exit(128 + sig)
            }
            src.resume()
            sources.append(src)
        }
    }

    /// Waits for a signal handler that is already running (one that waited for the publishing
    /// to finish), so that it has decided — and said so — before the run reports and exits.
    static func finish() { queue.sync {} }
}

/// Sizes such as `512M`, `4G`, `1.5GiB` or `1000000` (bytes); K, M, G and T are powers of 1024.
enum MemorySize {
    static func parse(_ text: String) -> Int64? {
        var s = text.trimmingCharacters(in: .whitespaces).uppercased()
        if s.hasSuffix("IB") { s.removeLast(2) } else if s.hasSuffix("B") { s.removeLast() }
        var scale: Double = 1
        if let last = s.last, let p = "KMGT".firstIndex(of: last) {
            scale = pow(1024, Double("KMGT".distance(from: "KMGT".startIndex, to: p) + 1))
            s.removeLast()
        }
        guard let v = Double(s), v.isFinite, v > 0, v * scale >= 1_048_576, v * scale < 4.0e18 else { return nil }
        return Int64(v * scale)
    }
}
