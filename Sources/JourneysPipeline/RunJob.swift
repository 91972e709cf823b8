import Foundation
import JourneysCore
import JourneysIO
import JourneysReaders
import JourneysReports
import JourneysStages

/// Settings of `journeys run`, gathered by the command line.
public struct RunRequest: Sendable {
    public var inputs: [String] = []
    public var format: String?
    public var pipeline = PipelineConfig()
    public var outDir = "journeys-out"
    public var threads: Int
    public var bom = true
    public var maxLineLength = 1 << 20
    /// Emails and IPs: pseudonyms (needs a key once one would be written) or `--pii clear`.
    public var pii = PIIRequest.pseudonymise
    /// Called now and then (on the calling thread) with lines and touchpoints read so far.
    public var progress: (@Sendable (Int64, Int64) -> Void)?

    public init(threads: Int) { self.threads = threads }
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
/// fails. Inputs named on the command line are read in addition to the pipeline's sources.
public enum RunJob {
    public static func run(_ req: RunRequest) -> RunReport {
        let started = Date()
        var plans: [InputPlan] = []
        do throws(InputError) {
            if !req.pipeline.sources.isEmpty {
                plans += try InputPlanner.plan(args: [], format: nil, pipeline: req.pipeline) { _ in }
            }
            if !req.inputs.isEmpty || req.pipeline.sources.isEmpty {
                plans += try InputPlanner.plan(args: req.inputs, format: req.format, pipeline: req.pipeline) { _ in }
            }
        } catch {
            return RunReport(status: .noInput, messages: ["error: \(error)"], inputs: [], statistics: RunStatistics(), published: [])
        }
        plans.sort { a, b in
            if a.spec.isStdin != b.spec.isStdin { return a.spec.isStdin }
            return Array(a.spec.path.utf8).lexicographicallyPrecedes(Array(b.spec.path.utf8))
        }
        for p in plans {
            if let f = p.format {
                do throws(ConfigError) { _ = try ReaderRegistry.make(format: f, options: p.options) } catch {
                    return RunReport(status: .config, messages: ["error: \(p.spec.displayName): \(error)"], inputs: [], statistics: RunStatistics(), published: [])
                }
            }
        }
        let names = plans.map(\.spec.displayName)
        let pii: PIIPolicy
        do throws(PIIError) { pii = try PIIPolicy.resolve(req.pii, pipeline: req.pipeline) } catch {
            return RunReport(status: .config, messages: ["error: \(error)"], inputs: [], statistics: RunStatistics(), published: [])
        }

        let directory: OutputDirectory
        do {
            directory = try OutputDirectory(path: req.outDir)
        } catch {
            return RunReport(status: .cannotCreate, messages: ["error: cannot use the output directory: \(error)"], inputs: [],
                             statistics: RunStatistics(), published: [])
        }

        // Read everything; rejects stream into rejects.ndjson (mode 0600: raw lines may hold personal data).
        var touchpoints: [Touchpoint] = []
        var summaries: [InputSummary] = []
        var options = ScanOptions(threads: req.threads)
        options.maxLineLength = req.maxLineLength
        var linesSoFar: Int64 = 0
        var lastProgress = Date()
        do {
            try directory.write("rejects.ndjson", mode: 0o600) { file in
                summaries = try Scanner.run(plans, options: options, work: { pii.applyAll($0.touchpoints) }, consume: { tps, header in
                    guard let tps else { throw PIIError.missing }
                    touchpoints.append(contentsOf: tps)
                    if !header.rejects.isEmpty {
                        var o: [UInt8] = []
                        for r in header.rejects { RejectsFormat.append(r, inputs: names, to: &o) }
                        try file.write(o)
                    }
                    linesSoFar += header.lines
                    if let progress = req.progress, Date().timeIntervalSince(lastProgress) > 0.5 {
                        lastProgress = Date()
                        progress(linesSoFar, Int64(touchpoints.count))
                    }
                })
            }
        } catch let e as PIIError {
            directory.discard()
            return RunReport(status: .config, messages: ["error: \(e)"], inputs: summaries, statistics: RunStatistics(), published: [])
        } catch {
            directory.discard()
            return RunReport(status: .ioError, messages: ["error: \(error)"], inputs: summaries, statistics: RunStatistics(), published: [])
        }

        let built = JourneyBuilder.build(touchpoints, inputNames: names, config: req.pipeline.journey, threads: req.threads)
        touchpoints = []

        var stats = RunStatistics()
        stats.inputs = summaries.count
        stats.damagedInputs = summaries.filter { $0.damage != nil || $0.openError != nil }.count
        stats.bytes = summaries.reduce(0) { $0 + $1.compressedBytes }
        stats.lines = summaries.reduce(0) { $0 + $1.lines }
        stats.touchpoints = summaries.reduce(0) { $0 + $1.touchpoints }
        for s in summaries {
            for reason in SkipReason.allCases where s.skips[reason] > 0 { stats.skipped[reason.rawValue, default: 0] += s.skips[reason] }
            for (reason, n) in s.rejects { stats.rejects[reason.rawValue, default: 0] += n }
        }
        stats.persons = built.journeys.count
        stats.mergesBlocked = built.mergesBlocked
        stats.elapsedSeconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000

        let kinds = req.pipeline.outputs.tables.compactMap(ReportKind.init(rawValue:))
        let formats = req.pipeline.outputs.formats.compactMap(TableFormat.init(rawValue:))
        do {
            try Reports.write(built.journeys, config: req.pipeline.journey, statistics: stats,
                              options: ReportOptions(kinds: kinds, formats: formats, bom: req.bom), into: directory)
            let published = directory.pendingNames
            try directory.commit()
            var report = EventsJob.report(summaries)
            if !built.blockedKeys.isEmpty {
                report.messages.append("note: \(built.mergesBlocked) merges blocked: keys linked to more than \(req.pipeline.journey.mergeLimit) others of one kind (\(built.blockedKeys.prefix(5).joined(separator: ", "))\(built.blockedKeys.count > 5 ? ", …" : ""))")
            }
            return RunReport(status: report.status, messages: report.messages, inputs: summaries, statistics: stats, published: published)
        } catch {
            directory.discard()
            // A rename that fails half-way through publishing names what it already published.
            let partial = "\(error)".contains("already published")
            let tail = partial ? "" : "; the previous outputs in \(req.outDir) are unchanged"
            return RunReport(status: .ioError, messages: ["error: \(error)\(tail)"], inputs: summaries, statistics: stats, published: [])
        }
    }
}
