import ArgumentParser
import JourneysCore
import JourneysIO
import JourneysPipeline
import JourneysReaders

#if canImport(Glibc)
import Glibc
#endif

@main
struct Journeys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journeys",
        abstract: "Turn raw web, email and chat logs into customer journeys.",
        discussion: """
        Inputs are files, directories (their files, sorted by name) and - for standard input; \
        no input means standard input. gzip is recognised by its magic bytes, whatever the file \
        name, and concatenated gzip members are read to the end.

        \(ExitStatus.helpText)
        """,
        version: JourneysVersion.string,
        subcommands: [RunCommand.self, CheckCommand.self, EventsCommand.self, FormatsCommand.self, StateCommand.self, GenerateCommand.self]
    )

    /// Puts /dev/null on closed standard descriptors before anything opens a file (see
    /// `StandardDescriptors`), then runs the command.
    static func main() {
        StandardDescriptors.reopenClosed()
        main(nil)
    }
}

/// Options shared by subcommands that read logs.
struct ReadOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Log format of every input read, named or the pipeline's sources (default: a source's own format, else detected; see `journeys formats`).", valueName: "format"),
            completion: .list(["auto"] + ReaderRegistry.names))
    var format: String = "auto"

    @Option(name: .long, help: ArgumentHelp("Pipeline file (YAML) with sources, per-format options and identity settings. Inputs named on the command line replace its sources.", valueName: "file"),
            completion: .file(extensions: ["yaml", "yml"]))
    var pipeline: String?

    @Option(name: .long, help: ArgumentHelp("nginx log_format string of the inputs read as nginx (--format nginx, or a pipeline source's); refused when none is.", valueName: "string"))
    var logFormat: String?

    @Option(name: .long, help: ArgumentHelp("Time zone of the reports' days (midnight breaks, daily.csv) and of timestamps written without an offset in every input read (over the pipeline's timezone and a source's): an IANA name such as Europe/Berlin (daylight saving included, from the system's tz database), a fixed offset such as +02:00, or UTC.", valueName: "zone"))
    var timezone: String?

    @Option(name: .long, help: ArgumentHelp("Worker threads (default: the number of cores). Output is the same for any count.", valueName: "n"))
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp("Lines longer than this many bytes are rejected (line_too_long); at most 67108864 (64 MiB), since a line up to the limit is held in memory.", valueName: "bytes"))
    var maxLineLength: Int = 1 << 20

    @Option(name: .long, help: ArgumentHelp("Emails and IP addresses: pseudonymise (default; keyed HMAC, key from JOURNEYS_PII_KEY or the pipeline's privacy.key_file) or clear (write them as read).", valueName: "mode"))
    var pii: PIIRequest = .pseudonymise

    @Option(name: .long, help: ArgumentHelp("Fail (exit 65) when rejected lines / lines read is over this (0 … 1). Default for run: the pipeline's outputs.max_reject_ratio (0.01 unless it says), and nothing is published when it fails; events only counts rejects unless this is given.", valueName: "ratio"))
    var maxRejectRatio: Double?

    @Flag(name: .long, help: "Make any damaged input (truncated or corrupt gzip, garbage between members) fatal with exit 65, and any missing or unreadable input with exit 66; nothing is published.")
    var strict = false

    @Argument(help: ArgumentHelp("Log files, directories, or - for standard input.", valueName: "input"))
    var inputs: [String] = []

    func validate() throws {
        if format != "auto", ReaderRegistry.descriptor(named: format) == nil {
            throw ValidationError("unknown format \"\(format)\"; known: auto, \(ReaderRegistry.names.joined(separator: ", "))")
        }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if maxLineLength < 1 || maxLineLength > LineChunker.maxLineLengthCap {
            throw ValidationError("--max-line-length must be from 1 to \(LineChunker.maxLineLengthCap) (64 MiB)")
        }
        if let r = maxRejectRatio, !(r >= 0 && r <= 1) { throw ValidationError("--max-reject-ratio must be between 0 and 1") }
        if let tz = timezone {
            do throws(Zone.Unknown) { _ = try Zone.named(tz) } catch { throw ValidationError("--timezone: \(error)") }
        }
    }

    /// What to read and how, for `ReadFrontEnd`: the pipeline file loaded (78 when it is not
    /// valid) and every option here passed on; `command` names the command in a hint.
    func request(command: String) throws -> ReadRequest {
        var r = ReadRequest(threads: threads ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        if let pipeline {
            do {
                r.pipeline = try PipelineConfig.load(path: pipeline)
            } catch {
                Stderr.line("journeys: error: \(error)")
                throw ExitCode(ExitStatus.config.rawValue)
            }
        }
        r.inputs = inputs
        r.format = format == "auto" ? nil : format
        r.logFormat = logFormat
        if let tz = timezone.flatMap({ try? Zone.named($0) }) {
            r.timezone = tz
            r.pipeline.journey.zone = tz
        }
        r.maxLineLength = maxLineLength
        r.pii = pii
        r.maxRejectRatio = maxRejectRatio
        r.strict = strict
        if inputs.isEmpty, r.pipeline.sources.isEmpty, isatty(0) == 1 {
            Stderr.line("journeys: reading standard input (name log files, or pipe them in: cat *.gz | journeys \(command))")
        }
        return r
    }
}

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Write the unified touchpoints of the inputs as JSON lines (or CSV) to standard output.",
        discussion: """
        One object per touchpoint, in a fixed order (inputs sorted by path, then line order), \
        the same for any thread count. Fields: time (ISO-8601 UTC), channel, action, the identity \
        keys present (visitor, customer, email, chat_visitor), URL path and query, utm_* fields, \
        click id, referrer_host, status, response_ms, device, value, currency, score, text, \
        conversation, event_id, and the origin (input, line). See the README for the schema.

        Reads the inputs named here, which replace the pipeline's sources (as in `run`), or, \
        when none are named, the pipeline's sources (standard input when it has none); \
        --format, --log-format and --timezone override the pipeline's settings for every input \
        read. Rejected lines are counted on standard error and written with --rejects FILE.

        \(ExitStatus.helpText)
        """
    )

    @OptionGroup var read: ReadOptions

    @Flag(name: .long, help: "Write CSV instead of JSON lines.")
    var csv = false

    @Flag(name: .long, help: "Leave out the UTF-8 byte-order mark at the start of CSV output.")
    var noBom = false

    @Option(name: .long, help: ArgumentHelp("Write every rejected line with its reason to this file (JSON lines, mode 0600).", valueName: "file"))
    var rejects: String?

    @Flag(name: .long, help: "Do not print the summary on standard error.")
    var quiet = false

    func validate() throws {
        if noBom, !csv { throw ValidationError("--no-bom leaves the byte-order mark out of --csv output; without --csv there is none") }
    }

    func run() throws {
        ProcessSetup.forStreaming()
        var req = EventsRequest(read: try read.request(command: "events"))
        req.csv = csv
        req.bom = !noBom
        req.rejectsPath = rejects
        let out = try StandardOutput.open()
        let report: JobReport
        do {
            report = try EventsJob.run(req, stdout: out)
        } catch {
            try StandardOutput.failed(error)
            return
        }
        for m in report.messages { Stderr.line("journeys: \(m)") }
        if !quiet { Stderr.line(Summary.text(report.inputs)) }
        if report.status != .ok { throw ExitCode(report.status.rawValue) }
    }
}

struct FormatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "formats",
        abstract: "List the log formats journeys reads, with their options."
    )

    func run() throws {
        var text = ""
        for d in ReaderRegistry.all {
            text += "\(d.name) (\(d.channel))\n    \(d.summary)\n"
            if !d.options.isEmpty { text += "    options: \(d.options)\n" }
            text += d.sniff == nil ? "    auto-detected: no (name it with --format or `format:`)\n" : "    auto-detected: yes\n"
        }
        try StandardOutput.write(text)
    }
}

/// Standard output, for the commands whose result goes there: a closed one, a full disk or
/// `/dev/full` is exit 74 with a message, never a silent success.
enum StandardOutput {
    /// The stream; fails (74) when standard output was closed when journeys started.
    static func open() throws -> OutputStream {
        if StandardDescriptors.closedAtStart.contains(1) {
            Stderr.line("journeys: error: standard output is closed; nothing was read or written (redirect it to a file, or to /dev/null)")
            throw ExitCode(ExitStatus.ioError.rawValue)
        }
        return OutputStream(fd: 1, name: "standard output")
    }

    /// Writes `text` and flushes it (see `failed`), with SIGPIPE ignored so a closed pipe is an
    /// error to answer, not a kill.
    static func write(_ text: String) throws {
        let out = try open()
        signal(SIGPIPE, SIG_IGN)
        do {
            try out.write(text)
            try out.flush()
        } catch {
            try failed(error)
        }
    }

    /// Answers a write error: a reader that went away (`| head -1`) is no failure; any other
    /// error is reported and is exit 74.
    static func failed(_ error: any Error) throws {
        if let e = error as? OutputError, e.isBrokenPipe { return }
        Stderr.line("journeys: error: cannot write \(error)")
        throw ExitCode(ExitStatus.ioError.rawValue)
    }
}

enum ProcessSetup {
    /// SIGPIPE ignored (a closed output pipe becomes an EPIPE write error we handle), SIGXFSZ too
    /// (a file past `ulimit -f` becomes an EFBIG write error: exit 74 with the file named and the
    /// previous outputs kept, not a silent kill by signal), and malloc
    /// told to serve the ~1 MiB chunk buffers from its heap: with glibc's default threshold each
    /// one is a fresh mmap whose pages the kernel must zero again, which cost ~9% of a run.
    static func forStreaming() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        MemoryTuning.forStreaming()
    }
}

enum Stderr {
    /// Writes `s` as it is (no newline), for progress lines.
    static func raw(_ s: String) {
        let out = OutputStream(fd: 2, name: "standard error")
        try? out.write(s)
        try? out.flush()
    }

    static func line(_ s: String) {
        let out = OutputStream(fd: 2, name: "standard error")
        try? out.write(s + "\n")
        try? out.flush()
    }
}

enum Summary {
    static func text(_ inputs: [InputSummary]) -> String {
        let lines = inputs.reduce(0) { $0 + $1.lines }
        let tps = inputs.reduce(0) { $0 + $1.touchpoints }
        var skips = SkipCounts()
        var rejects: [RejectReason: Int64] = [:]
        for s in inputs {
            skips.add(s.skips)
            for (k, v) in s.rejects { rejects[k, default: 0] += v }
        }
        let bytes = inputs.reduce(Int64(0)) { $0 + $1.decompressedBytes }
        var t = "journeys: \(inputs.count) input\(inputs.count == 1 ? "" : "s"), \(bytes) bytes, \(lines) lines: \(tps) touchpoints"
        let skipParts = SkipReason.allCases.filter { skips[$0] > 0 }.map { "\($0.rawValue) \(skips[$0])" }
        t += ", skipped \(skips.total)" + (skipParts.isEmpty ? "" : " (\(skipParts.joined(separator: ", ")))")
        let duplicates = inputs.reduce(Int64(0)) { $0 + $1.duplicates }
        if duplicates > 0 { t += ", \(duplicates) duplicate lines" }
        let rejectTotal = rejects.values.reduce(0, +)
        let rejectParts = rejects.keys.sorted().map { "\($0.rawValue) \(rejects[$0]!)" }
        t += ", rejected \(rejectTotal)" + (rejectParts.isEmpty ? "" : " (\(rejectParts.joined(separator: ", ")))")
        let events = inputs.reduce(Int64(0)) { $0 + $1.rejectedEvents.values.reduce(0, +) }
        let ignored = inputs.reduce(Int64(0)) { $0 + $1.ignoredEvents }
        if events > 0 || ignored > 0 {
            let parts = (events > 0 ? ["\(events) events rejected"] : []) + (ignored > 0 ? ["\(ignored) ignored"] : [])
            t += ", and " + parts.joined(separator: " and ") + " within lines that gave touchpoints"
        }
        return (detected(inputs) + [t]).joined(separator: "\n")
    }

    /// One line per format that was detected rather than named, with the inputs read as it (the
    /// first three named).
    static func detected(_ inputs: [InputSummary]) -> [String] {
        var byFormat: [String: [String]] = [:]
        for s in inputs where s.formatDetected { byFormat[s.format ?? "none", default: []].append(s.name) }
        return byFormat.keys.sorted().map { f in
            let names = byFormat[f]!
            let shown = names.prefix(3).joined(separator: ", ") + (names.count > 3 ? " and \(names.count - 3) more" : "")
            return "journeys: format \(f) detected from the first lines of \(shown)"
        }
    }
}

extension PIIRequest: ExpressibleByArgument {}
