import Foundation
import JourneysCore
import JourneysIO
import JourneysReaders
import JourneysReports

/// Settings of `journeys events`, gathered by the command line.
public struct EventsRequest: Sendable {
    public var inputs: [String] = []
    public var format: String?
    public var pipeline: PipelineConfig = PipelineConfig()
    public var threads: Int
    public var csv = false
    public var bom = true
    public var logFormat: String?
    public var timezoneOffset: Int?
    public var maxLineLength = 1 << 20
    public var rejectsPath: String?
    /// Emails and IPs: pseudonyms (needs a key once one would be written) or `--pii clear`.
    public var pii = PIIRequest.pseudonymise
    /// Rejected lines / lines read over this makes the job fail (65) once the output is written.
    public var maxRejectRatio = RunJob.defaultMaxRejectRatio
    /// Any damaged or unreadable input makes the job fail (65; 66 for a missing input).
    public var strict = false

    public init(threads: Int) { self.threads = threads }
}

/// The outcome of a job, for the command to report and map to an exit status.
public struct JobReport: Sendable {
    public var inputs: [InputSummary]
    public var status: ExitStatus
    public var messages: [String]
}

/// Plans which inputs to read with which reader options.
public enum InputPlanner {
    /// Inputs named on the command line replace the pipeline's sources; they take the options of
    /// the pipeline source with the same format (so its `log_format` or field map applies).
    /// Plans are ordered by path bytes (stdin first), so naming inputs in another order gives
    /// the same output. An input that cannot be read is planned with its problem (reported when
    /// it is opened); `excluding` (the output folder) is left out.
    public static func plan(args: [String], format: String?, pipeline: PipelineConfig, excluding: ExcludedDirectory? = nil,
                            adjust: (inout ReaderOptions) -> Void) -> [InputPlan] {
        var plans: [InputPlan] = []
        if args.isEmpty && !pipeline.sources.isEmpty {
            for s in pipeline.sources {
                var o = s.options
                adjust(&o)
                for spec in SourcePaths.expand(s.path, format: s.format, excluding: excluding) {
                    plans.append(InputPlan(spec: spec, format: s.format, options: o))
                }
            }
        } else {
            var o = pipeline.sources.first(where: { $0.format == format && format != nil })?.options ?? pipeline.defaultReaderOptions
            adjust(&o)
            for spec in Inputs.expand(args, format: format, excluding: excluding) {
                plans.append(InputPlan(spec: spec, format: format, options: o))
            }
        }
        plans.sort(by: canonicalOrder)
        return plans
    }
}

/// The order inputs are read and reported in, whatever order they were named in: standard input
/// first, then paths by their bytes (not the locale), so every machine agrees.
public func canonicalOrder(_ a: InputPlan, _ b: InputPlan) -> Bool {
    if a.spec.isStdin != b.spec.isStdin { return a.spec.isStdin }
    return Array(a.spec.path.utf8).lexicographicallyPrecedes(Array(b.spec.path.utf8))
}

/// `journeys events`: reads inputs and writes their touchpoints as JSON lines or CSV.
public enum EventsJob {
    public static func run(_ req: EventsRequest, stdout: OutputStream) throws -> JobReport {
        let plans = InputPlanner.plan(args: req.inputs, format: req.format, pipeline: req.pipeline) { o in
            if let lf = req.logFormat { o.logFormat = lf }
            if let tz = req.timezoneOffset { o.timezoneOffset = tz }
        }
        // Fail fast on options a reader cannot use.
        for p in plans {
            if let f = p.format {
                do throws(ConfigError) { _ = try ReaderRegistry.make(format: f, options: p.options) } catch {
                    return JobReport(inputs: [], status: .config, messages: ["error: \(p.spec.displayName): \(error)"])
                }
            }
        }
        let names = plans.map(\.spec.displayName)
        let encoder = TouchpointFormat(inputs: names)
        var resolved: PIIPolicy
        do throws(PIIError) { resolved = try PIIPolicy.resolve(req.pii, pipeline: req.pipeline) } catch {
            return JobReport(inputs: [], status: .config, messages: ["error: \(error)"])
        }
        // events is for looking at logs: without a key it leaves emails and IPs out instead of
        // refusing (run, the nightly job, refuses so a forgotten key is noticed).
        var withheld = false
        if case .refuse = resolved.mode { resolved = PIIPolicy(.withhold); withheld = true }
        let pii = resolved
        var rejectsOut: OutputStream?
        if let rp = req.rejectsPath {
            do throws(FileError) { rejectsOut = OutputStream(fd: try createRejectsFile(rp), name: rp) } catch {
                return JobReport(inputs: [], status: .cannotCreate, messages: ["error: \(error)"])
            }
        }
        defer { if let r = rejectsOut { close(r.fd) } }

        if req.csv {
            var head: [UInt8] = req.bom ? CSVText.bom : []
            CSVText.appendHeader(TouchpointFormat.csvColumns, to: &head)
            try stdout.write(head)
        }
        var options = ScanOptions(threads: req.threads)
        options.maxLineLength = req.maxLineLength
        let csv = req.csv
        let summaries: [InputSummary]
        do {
        summaries = try Scanner.run(plans, options: options, work: { result -> [UInt8]? in
            guard pii.applyAll(&result) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(result.touchpoints.count * 256)
            for t in result.touchpoints {
                if csv { encoder.appendCSV(t, to: &out) } else { encoder.appendJSON(t, to: &out) }
            }
            return out
        }, consume: { (bytes: [UInt8]?, header: ChunkResult.Header) throws in
            guard let bytes else { throw PIIError.missing }
            try stdout.write(bytes)
            if let ro = rejectsOut, !header.rejects.isEmpty {
                var o: [UInt8] = []
                for r in header.rejects { RejectsFormat.append(r, inputs: names, to: &o) }
                try ro.write(o)
            }
        })
        } catch let e as PIIError {
            try stdout.flush()
            return JobReport(inputs: [], status: .config, messages: ["error: \(e)"])
        }
        try stdout.flush()
        try rejectsOut?.flush()
        var r = report(summaries)
        if withheld {
            r.messages.append("note: no pseudonym key, so email and IP addresses were left out (set \(PIIPolicy.environmentVariable), or pass --pii clear)")
        }
        if req.strict, r.status == .partial || r.status == .dataError {
            r.status = .dataError
            r.messages.append("error: --strict: an input is damaged")
        }
        if let m = RejectRatio.check(summaries, max: req.maxRejectRatio) {
            r.messages.append("error: \(m)")
            if r.status == .ok || r.status == .partial { r.status = .dataError }
        }
        return r
    }

    /// Creates `--rejects FILE` anew with mode 0600 (raw lines may hold personal data): a regular
    /// file already there is replaced, not truncated, so its old mode and any hard link to it
    /// are left behind. A symbolic link is refused (`O_NOFOLLOW`: nothing is written through
    /// it); a device or a pipe (`/dev/null`, a FIFO) is written as it is.
    static func createRejectsFile(_ path: String) throws(FileError) -> Int32 {
        let create = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var fd = open(path, create, 0o600)
        var st = stat()
        if fd < 0, errno == EEXIST, lstat(path, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFLNK: throw FileError(path: path, operation: "create (a symbolic link is in its place; journeys does not write through it)", errno: ELOOP)
            case S_IFREG: fd = unlink(path) == 0 ? open(path, create, 0o600) : -1
            default: fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
            }
        }
        guard fd >= 0 else { throw FileError(path: path, operation: "create", errno: errno) }
        return fd
    }

    /// Turns input summaries into messages and an exit status.
    public static func report(_ summaries: [InputSummary]) -> JobReport {
        var messages: [String] = []
        var status = ExitStatus.ok
        for s in summaries {
            if let e = s.openError {
                messages.append("error: \(e)")
                status = .noInput
            }
            if let e = s.formatError { messages.append("error: \(s.name): \(e)") ; if status == .ok { status = .dataError } }
            // `INPUT:LINE (byte N, gzip member M): reason`, LINE being the last line kept (before a gap).
            func warning(_ d: InputDamage, line: Int64) -> String {
                let place = d.member > 0 ? "byte \(d.byteOffset), gzip member \(d.member)" : "byte \(d.byteOffset)"
                return "warning: \(s.name):\(line) (\(place)): \(d.kind.rawValue): \(d.message)"
            }
            for g in s.gaps {
                messages.append(warning(g.damage, line: g.lastLine))
                if status == .ok { status = .partial }
            }
            if let d = s.damage {
                var m = warning(d, line: s.lastKeptLine ?? s.lines) + "; "
                if s.discardedLines > 0 {
                    m += "discarded the \(s.discardedLines) lines of the damaged member, kept the lines before it"
                } else {
                    m += "kept the \(s.lines) complete lines decoded before it"
                }
                if s.droppedPartialBytes > 0 { m += ", dropped a partial line of \(s.droppedPartialBytes) bytes" }
                messages.append(m)
                if status == .ok { status = .partial }
            }
        }
        return JobReport(inputs: summaries, status: status, messages: messages)
    }
}

/// The `--max-reject-ratio` check.
public enum RejectRatio {
    /// A message when rejected lines / lines read is over `max`, else nil. Lines of damaged gzip
    /// members (`damaged_input`) are left out of both: damage has its own policy and exit status.
    public static func check(_ summaries: [InputSummary], max: Double) -> String? {
        let lines = summaries.reduce(Int64(0)) { $0 + $1.lines - $1.rejects[.damagedInput, default: 0] }
        var byReason: [RejectReason: Int64] = [:]
        for s in summaries { for (k, v) in s.rejects where k != .damagedInput { byReason[k, default: 0] += v } }
        let rejected = byReason.values.reduce(0, +)
        guard lines > 0, Double(rejected) / Double(lines) > max else { return nil }
        let top = byReason.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
        let ratio = Double(rejected) / Double(lines)
        return "\(rejected) of \(lines) lines rejected (ratio \(fmt(ratio))), over --max-reject-ratio \(fmt(max)); top reasons: \(top.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")) (see rejects.ndjson)"
    }

    static func fmt(_ x: Double) -> String {
        var t = String(format: "%.4f", x)
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }
}

/// One reject as a JSON line: `{"input","line","offset","reason","detail","raw"}` (`raw_b64`
/// when the bytes are not UTF-8; `raw_len` gives the full length when `raw` was cut). A line's
/// rejected events after its first have no raw text and `"raw_shared":true`; an entry that
/// counts several of them says how many in `events`.
public enum RejectsFormat {
    /// The entry `journeys run` writes for the lines of a gzip member that failed its check
    /// (decoding stops there): no raw text — those lines were read, but nothing of them is
    /// trusted — and `lines` says how many lines from `line` on were discarded.
    public static func appendDamage(input: String, firstLine: Int64, lines: Int64, touchpointLines: Int64, reason: String,
                                    to o: inout [UInt8]) {
        guard lines > 0 else { return }
        o.append(contentsOf: #"{"input":"#.utf8)
        JSONText.appendString(input, to: &o)
        o.append(contentsOf: #","line":\#(firstLine),"reason":"damaged_input","detail":"#.utf8)
        JSONText.appendString("\(reason); lines \(firstLine)–\(firstLine + lines - 1) discarded (\(touchpointLines) of them had touchpoints)", to: &o)
        o.append(contentsOf: #","lines":\#(lines)}"#.utf8)
        o.append(10)
    }

    public static func append(_ r: RejectRecord, inputs: [String], to o: inout [UInt8]) {
        o.append(contentsOf: #"{"input":"#.utf8)
        JSONText.appendString(inputs[Int(r.origin.input)], to: &o)
        o.append(contentsOf: #","line":\#(r.origin.line),"offset":\#(r.origin.offset),"reason":""#.utf8)
        o.append(contentsOf: r.reason.rawValue.utf8)
        o.append(contentsOf: #"","detail":"#.utf8)
        JSONText.appendString(r.detail, to: &o)
        if !r.rawShared {
            if let s = String(validating: r.raw, as: UTF8.self) {
                o.append(contentsOf: #","raw":"#.utf8)
                JSONText.appendString(s, to: &o)
            } else {
                o.append(contentsOf: #","raw_b64":""#.utf8)
                o.append(contentsOf: Base64.encode(r.raw).utf8)
                o.append(34)
            }
            if Int64(r.raw.count) < r.length {
                o.append(contentsOf: #","raw_len":\#(r.length),"raw_cut":true"#.utf8)
            }
        }
        if r.events != 1 { o.append(contentsOf: #","events":\#(r.events)"#.utf8) }
        if r.eventOnly { o.append(contentsOf: #","event_only":true"#.utf8) }
        if r.rawShared { o.append(contentsOf: #","raw_shared":true"#.utf8) }
        o.append(contentsOf: "}\n".utf8)
    }
}

enum Base64 {
    static let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static func encode(_ b: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((b.count + 2) / 3 * 4)
        var i = 0
        while i < b.count {
            let n = min(3, b.count - i)
            let v = (UInt32(b[i]) << 16) | (n > 1 ? UInt32(b[i + 1]) << 8 : 0) | (n > 2 ? UInt32(b[i + 2]) : 0)
            out.append(table[Int(v >> 18 & 63)])
            out.append(table[Int(v >> 12 & 63)])
            out.append(n > 1 ? table[Int(v >> 6 & 63)] : 61)
            out.append(n > 2 ? table[Int(v & 63)] : 61)
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}

#if canImport(Glibc)
import Glibc
#endif
