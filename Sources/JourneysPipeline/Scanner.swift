import Foundation
import JourneysCore
import JourneysEngine
import JourneysIO
import JourneysReaders

/// One input with how to read it.
public struct InputPlan: Sendable {
    public var spec: InputSpec
    /// The format name, or nil to detect it from the first lines.
    public var format: String?
    public var options: ReaderOptions
    /// `journeys run --state`: content read on earlier nights, left out where the input starts
    /// with it (`ContentGate`); nil reads everything without fingerprinting.
    public var known: [KnownContent]?

    public init(spec: InputSpec, format: String?, options: ReaderOptions) {
        self.spec = spec
        self.format = format
        self.options = options
    }
}

/// Tunables of a scan.
public struct ScanOptions: Sendable {
    /// Worker threads; 1 runs everything on the calling thread.
    public var threads: Int
    public var chunkSize = 1 << 20
    public var maxLineLength = 1 << 20
    /// Lines looked at to detect a format.
    public var detectLines = 50

    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.threads = max(1, threads)
    }
}

/// What happened to one input. For every input,
/// `lines == touchpointLines + skips.total + duplicates + rejected` (`journeys run` checks it).
public struct InputSummary: Sendable {
    public var name: String
    public var format: String?
    public var formatDetected = false
    public var isGzip = false
    public var compressedBytes: Int64 = 0
    public var decompressedBytes: Int64 = 0
    public var members = 0
    public var lines: Int64 = 0
    public var touchpoints: Int64 = 0
    public var touchpointLines: Int64 = 0
    public var skips = SkipCounts()
    public var rejects: [RejectReason: Int64] = [:]
    /// Events rejected within lines that also gave touchpoints (not lines: see `EventReject`).
    public var rejectedEvents: [RejectReason: Int64] = [:]
    /// Records ignored on purpose (`ignore:`) within lines that gave touchpoints: not lines, so
    /// outside the line balance, but counted, so nothing disappears.
    public var ignoredEvents: Int64 = 0
    /// Lines whose every touchpoint repeated one read before (set by `journeys run`).
    public var duplicates: Int64 = 0
    /// Lines of a gzip member whose check failed, dropped whatever the reader made of them
    /// (counted under rejects as `damaged_input`, set by `journeys run`).
    public var discardedLines: Int64 = 0
    /// The last line whose touchpoints were kept, when a damaged member's lines were discarded.
    public var lastKeptLine: Int64?
    public var damage: InputDamage?
    /// Garbage skipped between gzip members (damage too, but the members after it were read).
    public var gaps: [InputGap] = []
    /// Bytes of a partial last line dropped at a truncation.
    public var droppedPartialBytes = 0
    /// The input could not be opened.
    public var openError: InputError?
    /// The format could not be detected.
    public var formatError: String?
    /// A file found in a folder that no reader recognises: why it was skipped (its lines are
    /// `not_a_log` skips).
    public var notALog: String?
    /// The fields the pipeline named for this input's reader (`LogReader.watchedFields`), and
    /// which of them some line had (bit `i`: field `i`).
    public var watchedFields: [String] = []
    public var fieldsSeen: UInt64 = 0
    /// With `--state`: the fingerprint of the input's whole content, and the prefix of it that
    /// was read on an earlier night and left out (its lines are not among `lines`).
    public var content: ContentFingerprint?
    public var lineEnd: ContentFingerprint?
    public var readBefore: ContentFingerprint?
    /// Its reader takes a header from the first lines (CSV, W3C): a prefix of it is never left out.
    public var readerTakesHeader = false
    /// The watched fields no line of the input had.
    public var fieldsNeverFound: [String] {
        watchedFields.enumerated().filter { fieldsSeen & (1 << UInt64($0.offset)) == 0 }.map(\.element)
    }

    public var rejected: Int64 { rejects.values.reduce(0, +) }

    /// Whether the input was damaged in any way (exit status 3 unless something worse).
    public var isDamaged: Bool { damage != nil || !gaps.isEmpty }

    /// Every damage found, as in the warnings (`byte N, gzip member M: kind: text`), or nil.
    public var damageText: String? {
        let all = gaps.map(\.damage.description) + (damage.map { [$0.description] } ?? [])
        return all.isEmpty ? nil : all.joined(separator: "; ")
    }
}

/// Reads inputs concurrently and hands chunk results to the caller in a fixed order.
///
/// Order: inputs in the order given, chunks in file order — so the output does not depend on
/// the thread count. The engine runs it (`Engine.inOrder`): each input is decoded on a thread
/// of its own (decompression and line splitting); its chunks are parsed on a `WorkerPool`, at
/// most `threads` at a time, and their results wait in per-input `OrderedSlots` until the
/// caller takes them. At most `threads` inputs are open at once and each holds a bounded
/// window of chunks, so memory stays flat. Readers that keep state across lines
/// (`isStateful`) are run in order on the decoding thread.
public enum Scanner {
    /// - Parameters:
    ///   - work: runs on a worker for each chunk result (e.g. encoding output); must be pure. It may
    ///     change the result's touchpoints in place (only the result's header is used after it).
    ///   - consume: runs on the calling thread, in order.
    ///   - finished: runs on the calling thread once an input's chunks were all consumed, before
    ///     the next input's first, with its index and summary (which it may amend).
    public static func run<T: Sendable>(_ plans: [InputPlan], options: ScanOptions,
                                        work: @escaping @Sendable (inout ChunkResult) -> T,
                                        consume: (T, ChunkResult.Header) throws -> Void,
                                        finished: (Int, inout InputSummary) throws -> Void = { _, _ in }) throws -> [InputSummary] {
        var summaries: [InputSummary] = []
        let cancel = Cancellation()
        var thrown: (any Error)?
        if options.threads == 1 {
            // Everything on this thread, each chunk consumed as soon as it is parsed.
            try withoutActuallyEscaping(consume) { consume in
                for (i, plan) in plans.enumerated() {
                    let job = InputJob(index: Int32(i), plan: plan, options: options, cancel: cancel, work: work)
                    var s = InputSummary(name: plan.spec.displayName)
                    job.decode(.deliver { item, header in
                        guard thrown == nil else { return }
                        s.absorb(header)
                        do { try consume(item, header) } catch { thrown = error; cancel.set() }
                    })
                    if let thrown { throw thrown }
                    s.merge(job.summary)
                    try finished(i, &s)
                    summaries.append(s)
                }
            }
            return summaries
        }
        // Each input decoded on a thread of its own, its chunks parsed on the pool.
        let parse = WorkerPool(threads: options.threads)
        var s = InputSummary(name: "")
        try Engine.inOrder(producers: plans.count, open: options.threads, window: 2 * options.threads + 2, cancel: cancel,
                           produce: { i, slots in
                               let job = InputJob(index: Int32(i), plan: plans[i], options: options, cancel: cancel, work: work)
                               job.decode(.slots(slots, parsingOn: parse))
                               return job.summary
                           },
                           consume: { _, result in
                               s.absorb(result.1)
                               try consume(result.0, result.1)
                           },
                           finished: { i, decoded in
                               s.name = plans[i].spec.displayName
                               s.merge(decoded)
                               try finished(i, &s)
                               summaries.append(s)
                               s = InputSummary(name: "")
                           })
        return summaries
    }
}

extension ChunkResult {
    /// The counts of a chunk result, passed along with what `work` made of it.
    public struct Header: Sendable {
        public var input: Int32
        public var sequence: Int
        public var lines: Int64
        public var touchpoints: Int64
        public var touchpointLines: Int64
        public var skips: SkipCounts
        public var rejects: [RejectRecord]
        /// The gzip member of the chunk's last byte (0 for plain text).
        public var lastMember: Int
        /// The reader's watched fields some line of the chunk had (`TouchpointBuffer.fieldsSeen`).
        public var fieldsSeen: UInt64 = 0
        public var ignoredEvents: Int64 = 0
    }

    var header: Header {
        Header(input: input, sequence: sequence, lines: lines, touchpoints: Int64(batch.count),
               touchpointLines: touchpointLines, skips: skips, rejects: rejects, lastMember: lastMember, fieldsSeen: batch.fieldsSeen, ignoredEvents: ignoredEvents)
    }
}

extension InputSummary {
    mutating func absorb(_ h: ChunkResult.Header) {
        lines += h.lines
        touchpoints += h.touchpoints
        touchpointLines += h.touchpointLines
        fieldsSeen |= h.fieldsSeen
        ignoredEvents += h.ignoredEvents
        skips.add(h.skips)
        for r in h.rejects {
            if r.eventOnly { rejectedEvents[r.reason, default: 0] += r.events } else { rejects[r.reason, default: 0] += 1 }
        }
    }

    /// Takes the decode-side facts (format, bytes, damage) from the job's summary.
    mutating func merge(_ j: InputSummary) {
        format = j.format
        formatDetected = j.formatDetected
        isGzip = j.isGzip
        compressedBytes = j.compressedBytes
        decompressedBytes = j.decompressedBytes
        members = j.members
        damage = j.damage
        gaps = j.gaps
        droppedPartialBytes = j.droppedPartialBytes
        openError = j.openError
        formatError = j.formatError
        notALog = j.notALog
        watchedFields = j.watchedFields
        content = j.content
        lineEnd = j.lineEnd
        readBefore = j.readBefore
        readerTakesHeader = j.readerTakesHeader
    }
}

/// Decodes one input and dispatches its chunks, on the thread that calls `decode`.
final class InputJob<T: Sendable> {
    let index: Int32
    let plan: InputPlan
    let options: ScanOptions
    let work: @Sendable (inout ChunkResult) -> T
    let cancel: Cancellation
    /// Idle copies of a stateless reader, so their caches (user agents …) stay warm across chunks.
    /// Caches inside a reader only save work (their answers are pure functions of the line), so
    /// which copy parses a chunk never changes the output.
    let readers = IdlePool<any LogReader>()
    /// Filled in by `decode`.
    var summary: InputSummary

    init(index: Int32, plan: InputPlan, options: ScanOptions, cancel: Cancellation,
         work: @escaping @Sendable (inout ChunkResult) -> T) {
        self.index = index
        self.cancel = cancel
        self.plan = plan
        self.options = options
        self.work = work
        self.summary = InputSummary(name: plan.spec.displayName)
    }

    /// Where chunk results go: straight to a consumer, or in order through slots (the chunks
    /// of a stateless reader parsed on a pool, those of a stateful one here, in order).
    enum Output {
        case deliver((T, ChunkResult.Header) -> Void)
        case slots(OrderedSlots<(T, ChunkResult.Header)>, parsingOn: WorkerPool)
    }

    /// Decodes the whole input on the current thread.
    func decode(_ output: Output) {
        let fd: Int32
        do throws(InputError) {
            fd = try Inputs.open(plan.spec)
        } catch {
            summary.openError = error
            return
        }
        defer { if fd != 0 { close(fd) } }

        var reader: (any LogReader)?
        var pending: [LineChunk] = []   // chunks waiting for format detection
        var format = plan.format
        if let f = format {
            reader = try? ReaderRegistry.make(format: f, options: plan.options)
            summary.watchedFields = reader?.watchedFields ?? []
            summary.format = f
        }

        let dispatch: (LineChunk) -> Void = { chunk in
            switch output {
            case .deliver(let deliver):
                var res: ChunkResult
                if var r = reader {
                    res = ChunkProcessor.process(chunk, anyReader: &r)
                    reader = r
                } else {
                    // No reader: every line is rejected `no_format`, so none disappears.
                    res = Self.unreadable(chunk, why: self.summary.formatError ?? "no format")
                }
                let out = self.work(&res)
                deliver(out, res.header)
            case .slots(let slots, let pool):
                guard let seq = slots.reserve() else { return }
                guard var r = reader else {
                    var res = Self.unreadable(chunk, why: self.summary.formatError ?? "no format")
                    let out = self.work(&res)
                    slots.fill(seq, (out, res.header))
                    return
                }
                if r.isStateful {
                    var res = ChunkProcessor.process(chunk, anyReader: &r)
                    reader = r
                    let out = self.work(&res)
                    slots.fill(seq, (out, res.header))
                    return
                }
                let work = self.work
                let readers = self.readers
                let prototype = r
                pool.async {
                    var rr = readers.take { prototype }
                    var res = ChunkProcessor.process(chunk, anyReader: &rr)
                    readers.give(rr)
                    let out = work(&res)
                    slots.fill(seq, (out, res.header))
                }
            }
        }

        func detect(force: Bool) {
            var sample: [[UInt8]] = []
            for c in pending where c.oversize == nil {
                c.forEachLine { line, _, _ in if sample.count < options.detectLines { sample.append(Array(line)) } }
            }
            let nonBlank = sample.filter { $0.contains { $0 != 32 && $0 != 9 } }.count
            guard force || nonBlank >= options.detectLines else { return }
            if let f = ReaderRegistry.detect(sample) {
                format = f
                summary.format = f
                summary.formatDetected = true
                reader = try? ReaderRegistry.make(format: f, options: plan.options)
                summary.watchedFields = reader?.watchedFields ?? []
            } else if nonBlank > 0, plan.spec.foundInFolder {
                summary.notALog = "no reader recognises its first \(nonBlank) lines"
                reader = NotALogReader()
            } else if nonBlank > 0 {
                let closest = ReaderRegistry.closest(sample)
                summary.formatError = "cannot tell the format from the first \(nonBlank) lines"
                    + (closest.isEmpty ? "" : " (closest: \(closest.joined(separator: "; ")))")
                    + "; name it with --format (one of: \(ReaderRegistry.names.joined(separator: ", "))) or `format:` in the pipeline"
            }
            let waiting = pending
            pending = []
            format = format ?? "none"
            for c in waiting { dispatch(c) }
        }

        let cancel = self.cancel
        func read(known: [KnownContent]?, skip: ContentFingerprint?) -> InputScan {
            InputScanner.scan(fd: fd, input: index, chunkSize: options.chunkSize, maxLineLength: options.maxLineLength,
                              known: known, skip: skip, stop: { cancel.isSet }) { chunk in
                if format == nil {
                    pending.append(chunk)
                    detect(force: false)
                } else {
                    dispatch(chunk)
                }
            }
        }
        var scan = read(known: plan.known, skip: nil)
        if let again = scan.restart {
            // The start matched content read before, the rest did not: read again from the start
            // (no chunk was handed out), leaving out only what matched whole. Inputs read with
            // `known` are regular files (standard input is copied to one first).
            guard lseek(fd, 0, SEEK_SET) == 0 else {
                summary.openError = InputError(kind: .unreadable, path: plan.spec.displayName,
                                               reason: "cannot read it again from its start: \(String(cString: strerror(errno)))")
                return
            }
            scan = read(known: [], skip: again)
        }
        summary.content = scan.content
        summary.lineEnd = scan.lineEnd
        summary.readerTakesHeader = reader?.isStateful ?? false
        summary.readBefore = scan.matched
        if format == nil { detect(force: true) }
        summary.isGzip = scan.decoder.isGzip
        summary.compressedBytes = scan.decoder.compressedBytes
        summary.decompressedBytes = scan.decoder.decompressedBytes
        summary.members = scan.decoder.members
        summary.damage = scan.decoder.damage
        // A 0-byte file named .gz is what a crashed rotation leaves behind (gzip itself calls it
        // an error); an empty plain file is simply empty.
        if summary.damage == nil, scan.decoder.compressedBytes == 0, plan.spec.path.hasSuffix(".gz") {
            summary.damage = InputDamage(kind: .empty, byteOffset: 0, decompressedOffset: 0, member: 0,
                                         message: "0-byte file: not even a gzip header")
        }
        summary.droppedPartialBytes = scan.droppedPartialBytes
        summary.gaps = scan.gaps
    }

    /// The result for a chunk no reader could read: each line rejected `no_format`.
    static func unreadable(_ chunk: LineChunk, why: String) -> ChunkResult {
        var none = NoFormatReader(why: why)
        return ChunkProcessor.process(chunk, reader: &none)
    }
}

/// Skips every line: used for a file found in a folder that no reader recognises.
struct NotALogReader: LogReader {
    static let format = "none"
    mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        .skipped(.notALog)
    }
}

/// Rejects every line: used for an input whose format is unknown.
struct NoFormatReader: LogReader {
    static let format = "none"
    let why: String
    mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        .rejected(.noFormat, why)
    }
}
