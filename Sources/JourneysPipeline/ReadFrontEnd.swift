import Foundation
import JourneysCore
import JourneysIO
import JourneysReaders

/// What `run` and `events` read, and how, as the command line asks for it.
public struct ReadRequest: Sendable {
    /// Inputs named on the command line: when there are any, they replace the pipeline's sources.
    public var inputs: [String] = []
    public var pipeline = PipelineConfig()
    /// `--format`: the format of every input read (nil: a source's own, else detected).
    public var format: String?
    /// `--log-format`: the nginx `log_format` of every input read as `nginx`.
    public var logFormat: String?
    /// `--timezone`: the zone of times written without an offset, in every input (and the
    /// report's zone: `ReadOptions` sets the pipeline's too).
    public var timezone: Zone?
    public var threads: Int
    public var maxLineLength = 1 << 20
    /// Emails and IPs: pseudonyms (needs a key once one would be written) or `--pii clear`.
    public var pii = PIIRequest.pseudonymise
    /// `--max-reject-ratio`; nil for the default of the front-end's `Purpose`.
    public var maxRejectRatio: Double?
    /// Any damaged or unreadable input makes the job fail (65; 66 for a missing input).
    public var strict = false
    /// `run --allow-empty`: publish reports of zero lines read (else that is a failure, 65: an
    /// empty stdin from a failed `zcat` must not replace yesterday's reports).
    public var allowEmpty = false

    public init(threads: Int) { self.threads = threads }
}

/// Why a job stopped before or while reading: its exit status and messages.
public struct ReadFailure: Error, Sendable {
    public var status: ExitStatus
    public var messages: [String]
}

/// The outcome of a job, for the command to report and map to an exit status.
public struct JobReport: Sendable {
    public var inputs: [InputSummary]
    public var status: ExitStatus
    public var messages: [String]
    /// Why the job failed as a whole — `--strict`, no input readable, rejects over the ratio —
    /// else nil (`run` then publishes nothing). Not among `messages`.
    public var failure: String?
}

/// The one read front-end of `run` and `events`: which inputs are read with which reader
/// options, the reader checks, the personal-data policy, the rejects and the verdict on what was
/// read (`--strict`, the reject ratio). The two commands differ only in what they do with the
/// touchpoints (and in the two defaults of `Purpose`).
///
/// The rule for inputs: inputs named on the command line replace the pipeline's sources (and
/// take the options of its first source of the same `--format`); with none named, the sources
/// are read; with neither, standard input. Options given on the command line (`--format`,
/// `--log-format`, `--timezone`) override the pipeline's for every input read. An option that
/// no input would use is a usage error, never ignored.
public struct ReadFrontEnd: Sendable {
    /// What the touchpoints are for.
    public enum Purpose: Sendable {
        /// `run`, the nightly job: without a pseudonym key an email or IP is an error (so a
        /// forgotten key is noticed), and the reject ratio is the pipeline's by default.
        case reports
        /// `events`, for looking at logs: without a key emails and IPs are left out (with a
        /// note), and rejects are only counted unless `--max-reject-ratio` is given.
        case inspection
    }

    let request: ReadRequest
    /// The inputs, in the order they are read (see `canonicalOrder`).
    public private(set) var plans: [InputPlan]
    /// Their names, as rejects and touchpoints give them.
    public let names: [String]
    public let pii: PIIPolicy
    public let maxRejectRatio: Double
    /// Notes on inputs left out because they are the output folder or in it.
    public let notes: [String]
    /// No key, so emails and IPs are left out (`Purpose.inspection`).
    let withheld: Bool
    let purpose: Purpose

    /// Plans the reading and checks it: a usage error (64) for an option no input would use, a
    /// configuration error (78) for reader options a reader refuses or a bad pseudonym key, 66
    /// when every input is the output folder (`excluding`) or in it.
    public init(_ request: ReadRequest, for purpose: Purpose, excluding outputFolder: String? = nil) throws(ReadFailure) {
        self.request = request
        self.purpose = purpose
        if request.logFormat != nil, !Self.formats(request).contains("nginx") {
            throw ReadFailure(status: .usage, messages: ["error: --log-format is the log_format of the nginx format, and no input here is read as nginx (name it with --format nginx)"])
        }
        // The output folder is never read as input (yesterday's reports are no logs).
        let excluded = outputFolder.flatMap(ExcludedDirectory.init(path:))
        let folder = outputFolder ?? ""
        plans = Self.plan(request, excluding: excluded)
        notes = (excluded?.skipped ?? []).map { "note: skipped \($0): it is the output folder \(folder) or in it, and its reports are not read as input" }
        if plans.isEmpty, !notes.isEmpty {
            throw ReadFailure(status: .noInput, messages: notes + ["error: every input is the output folder \(folder) or in it; nothing was read or published"])
        }
        // Fail fast on options a reader cannot use, not in the middle of the night.
        for p in plans {
            guard let f = p.format else { continue }
            do throws(ConfigError) { _ = try ReaderRegistry.make(format: f, options: p.options) } catch {
                throw ReadFailure(status: .config, messages: ["error: \(p.spec.displayName): \(error)"])
            }
        }
        names = plans.map(\.spec.displayName)
        var policy: PIIPolicy
        do throws(PIIError) { policy = try PIIPolicy.resolve(request.pii, pipeline: request.pipeline) } catch {
            throw ReadFailure(status: .config, messages: ["error: \(error)"])
        }
        if purpose == .inspection, case .refuse = policy.mode {
            policy = PIIPolicy(.withhold)
            withheld = true
        } else {
            withheld = false
        }
        pii = policy
        maxRejectRatio = request.maxRejectRatio ?? (purpose == .reports ? request.pipeline.outputs.maxRejectRatio : 1)
    }

    /// `run --state`: every input leaves out a prefix that is content read before (`known`) and
    /// is fingerprinted; standard input is first copied to an unnamed file in `spoolDirectory`
    /// so that it can be read again from its start.
    public mutating func remember(_ known: [KnownContent], spoolDirectory: String) throws(ReadFailure) {
        for i in plans.indices {
            plans[i].known = known
            // Standard input, a named pipe, a process substitution: copied, to be read again.
            var st = stat()
            let regular = !plans[i].spec.isStdin && stat(plans[i].spec.path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
            guard !regular, plans[i].spec.problem == nil else { continue }
            do throws(InputError) { plans[i].spec.spooled = try Inputs.spool(from: plans[i].spec, into: spoolDirectory) } catch {
                throw ReadFailure(status: .noInput, messages: ["error: \(error)"])
            }
        }
    }

    /// The formats the inputs are read with (nil: detected), before the inputs are expanded.
    static func formats(_ request: ReadRequest) -> [String?] {
        request.inputs.isEmpty && !request.pipeline.sources.isEmpty
            ? request.pipeline.sources.map { request.format ?? $0.format } : [request.format]
    }

    /// The inputs to read, ordered by path bytes (stdin first), so naming inputs in another
    /// order gives the same output, each with its format and reader options (see the type's
    /// rule). An input that cannot be read is planned with its problem (reported when it is
    /// opened); `excluding` (the output folder) is left out.
    public static func plan(_ request: ReadRequest, excluding: ExcludedDirectory? = nil) -> [InputPlan] {
        func overridden(_ options: ReaderOptions) -> ReaderOptions {
            var o = options
            if let lf = request.logFormat { o.logFormat = lf }
            if let tz = request.timezone { o.timezone = tz; o.timezoneIsSources = true }
            return o
        }
        var plans: [InputPlan] = []
        if request.inputs.isEmpty && !request.pipeline.sources.isEmpty {
            for s in request.pipeline.sources {
                let format = request.format ?? s.format
                for spec in SourcePaths.expand(s.path, format: format, excluding: excluding) {
                    plans.append(InputPlan(spec: spec, format: format, options: overridden(s.options)))
                }
            }
        } else {
            let source = request.format.flatMap { f in request.pipeline.sources.first { $0.format == f } }
            let options = overridden(source?.options ?? request.pipeline.defaultReaderOptions)
            for spec in Inputs.expand(request.inputs, format: request.format, excluding: excluding) {
                plans.append(InputPlan(spec: spec, format: request.format, options: options))
            }
        }
        plans.sort(by: canonicalOrder)
        return plans
    }

    /// Reads every input (see `Scanner.run`): each chunk's emails and IPs are handled by the
    /// policy before `work` sees it; `consume` gets the results in order, and each chunk's
    /// rejected lines then go, as JSON lines (`RejectsFormat`), to `rejects` when given. A
    /// touchpoint holding an address with no key to hide it is a `ReadFailure` (78).
    public func read<T: Sendable>(rejects: ((_ lines: [UInt8]) throws -> Void)?,
                                  work: @escaping @Sendable (inout ChunkResult) -> T,
                                  consume: (T, ChunkResult.Header) throws -> Void,
                                  finished: (Int, inout InputSummary) throws -> Void = { _, _ in }) throws -> [InputSummary] {
        var options = ScanOptions(threads: request.threads)
        options.maxLineLength = request.maxLineLength
        let pii = pii
        let names = names
        do {
            return try Scanner.run(plans, options: options, work: { chunk -> T? in
                guard pii.applyAll(&chunk) else { return nil }
                return work(&chunk)
            }, consume: { result, header in
                guard let result else { throw PIIError.missing }
                try consume(result, header)
                if let rejects, !header.rejects.isEmpty {
                    var o: [UInt8] = []
                    for r in header.rejects { RejectsFormat.append(r, inputs: names, to: &o) }
                    try rejects(o)
                }
            }, finished: finished)
        } catch let e as PIIError {
            throw ReadFailure(status: .config, messages: ["error: \(e)"])
        }
    }

    /// The verdict on what was read: the inputs' messages and status (`report`), then the
    /// job's policies in turn — `--strict` (65, or 66 for a missing input), no input readable
    /// (66), no line read at all for reports without `--allow-empty` (65), rejected lines over
    /// the reject ratio (65) — the first that fails being `failure`.
    public func judge(_ summaries: [InputSummary]) -> JobReport {
        var r = Self.report(summaries)
        if withheld {
            r.messages.append("note: no pseudonym key, so email and IP addresses were left out (set \(PIIPolicy.environmentVariable), or pass --pii clear)")
        }
        if request.strict, r.status != .ok {
            r.status = r.status == .noInput ? .noInput : .dataError
            r.failure = "--strict: an input is damaged or unreadable"
        } else if !summaries.isEmpty, summaries.allSatisfy({ $0.openError != nil }) {
            r.status = .noInput
            r.failure = "no input could be read"
        } else if purpose == .reports, !request.allowEmpty, summaries.allSatisfy({ $0.lines == 0 && ($0.readBefore?.lines ?? 0) == 0 }) {
            r.status = .dataError
            r.failure = "no line was read (an empty standard input or empty files: a failed zcat?); pass --allow-empty to publish empty reports"
        } else if let m = RejectRatio.check(summaries, max: maxRejectRatio) {
            r.status = .dataError
            r.failure = m
        }
        return r
    }

    /// Turns input summaries into messages and an exit status.
    public static func report(_ summaries: [InputSummary]) -> JobReport {
        var messages: [String] = []
        var status = ExitStatus.ok
        for s in summaries {
            if let e = s.openError {
                messages.append("error: \(e)")
                status = status.worst(.noInput)
            }
            if let e = s.formatError { messages.append("error: \(s.name): \(e)"); status = status.worst(.dataError) }
            if s.touchpointLines + s.rejected > 0, !s.fieldsNeverFound.isEmpty {
                let f = s.fieldsNeverFound
                messages.append("warning: \(s.name): no line has the field\(f.count == 1 ? "" : "s") \(f.joined(separator: ", ")) (of \(s.lines) lines; check the spelling in `fields:`)")
            }
            if let why = s.notALog {
                messages.append("note: skipped \(s.name), not a log: \(why) (it was found in a folder, not named; name its format with --format to read it)")
            }
            // `INPUT:LINE (byte N, gzip member M): reason`, LINE being the last line kept (before a gap).
            func warning(_ d: InputDamage, line: Int64) -> String {
                let place = d.member > 0 ? "byte \(d.byteOffset), gzip member \(d.member)" : "byte \(d.byteOffset)"
                return "warning: \(s.name):\(line) (\(place)): \(d.kind.rawValue): \(d.message)"
            }
            for g in s.gaps {
                messages.append(warning(g.damage, line: g.lastLine))
                status = status.worst(.partial)
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
                status = status.worst(.partial)
            }
        }
        return JobReport(inputs: summaries, status: status, messages: messages)
    }
}

/// The order inputs are read and reported in, whatever order they were named in: standard input
/// first, then paths by their bytes (not the locale), so every machine agrees.
public func canonicalOrder(_ a: InputPlan, _ b: InputPlan) -> Bool {
    if a.spec.isStdin != b.spec.isStdin { return a.spec.isStdin }
    return Array(a.spec.path.utf8).lexicographicallyPrecedes(Array(b.spec.path.utf8))
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
        return "\(rejected) of \(lines) lines rejected (ratio \(fmt(ratio))), over --max-reject-ratio \(fmt(max)); top reasons: \(top.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))"
    }

    static func fmt(_ x: Double) -> String {
        var t = String(format: "%.4f", x)
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }
}
