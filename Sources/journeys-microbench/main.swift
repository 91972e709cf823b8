// journeys-microbench: single-threaded microbenchmarks of the hot paths — gunzip + line split,
// each reader's parse over lines already in memory, stitching — reporting MB/s, lines/s and
// heap allocations per line and per touchpoint as a Markdown table. `make microbench` runs it.
import CAllocCount
import Foundation
import JourneysCore
import JourneysIO
import JourneysPipeline
import JourneysReaders
import JourneysStages

let usage = """
    usage: journeys-microbench [--data DIR] [--reps N] [--filter NAME] [--fixture-mb N] [--persons N] [--days N] [--seed N]

    Times the hot paths of journeys on one thread and prints a Markdown table:
      gunzip, line split, gunzip + line split   the generated nginx files, gzipped in memory
      parse FORMAT                               ChunkProcessor.process over 1 MiB line chunks in memory,
                                                 as `journeys run --threads 1` calls the readers
      nginx line checks, nginx read() only       parse nginx split in two: the shared line checks, the reader
      stitch                                     Stitcher.stitch over every touchpoint parsed from the generated data

      --data DIR      a data set made by `journeys generate` (default: generated once into
                      .build/microbench-data with --persons 3000 --days 10 --seed 7)
      --reps N        timed runs per benchmark; the median is reported (default 5)
      --filter NAME   only benchmarks whose name contains NAME (e.g. nginx, parse, gunzip, stitch)
      --fixture-mb N  MB of repeated fixture lines per fixture format (default 4)

    MB = 10^6 bytes of uncompressed input. Each benchmark runs once to warm up, N times timed,
    then once more with heap allocation counting on (malloc & co. interposed; see CAllocCount).
    """

struct Settings {
    var data: String?
    var reps = 5
    var filter: String?
    var fixtureMB = 4.0
    var persons = 3000
    var days = 10
    var seed: UInt64 = 7
}

func parseArguments() -> Settings {
    var s = Settings()
    var args = CommandLine.arguments.dropFirst()
    func value(_ flag: String) -> String {
        guard let v = args.popFirst() else { fail("\(flag) needs a value\n\(usage)") }
        return v
    }
    func number(_ flag: String) -> Int {
        let v = value(flag)
        guard let n = Int(v), n >= 1 else { fail("\(flag) must be a positive whole number, not \"\(v)\"") }
        return n
    }
    while let a = args.popFirst() {
        switch a {
        case "--data": s.data = value(a)
        case "--reps": s.reps = number(a)
        case "--filter": s.filter = value(a).lowercased()
        case "--fixture-mb":
            let v = value(a)
            guard let x = Double(v), x > 0 else { fail("--fixture-mb must be a positive number, not \"\(v)\"") }
            s.fixtureMB = x
        case "--persons": s.persons = number(a)
        case "--days": s.days = number(a)
        case "--seed": s.seed = UInt64(number(a))
        case "-h", "--help": print(usage); exit(0)
        default: fail("unknown argument \"\(a)\"\n\(usage)")
        }
    }
    return s
}

/// The repository root: the working directory when it holds the fixtures, else the one this file was built from.
func repositoryRoot() -> String {
    let fm = FileManager.default
    let cwd = fm.currentDirectoryPath
    if fm.fileExists(atPath: cwd + "/pipelines/all-formats.yaml") { return cwd }
    let built = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    if fm.fileExists(atPath: built + "/pipelines/all-formats.yaml") { return built }
    fail("run me from the repository root (I need pipelines/all-formats.yaml and fixtures/)")
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "?"
}

// MARK: - Parsing the way the pipeline does

struct ParseTotals {
    var lines: Int64 = 0
    var touchpoints = 0
    var touchpointLines: Int64 = 0
    var skipped: Int64 = 0
    var rejected = 0
    var rejectReasons: [RejectReason: Int] = [:]
}

/// Reads a case's inputs as `journeys run --threads 1` does: one reader per input, made by the
/// registry, fed that input's chunks in order through `ChunkProcessor.process`.
func parse(_ c: ReaderCase, keep: ((ChunkResult) -> Void)? = nil) -> ParseTotals {
    var t = ParseTotals()
    for input in c.inputs {
        var reader: any LogReader
        do throws(ConfigError) { reader = try ReaderRegistry.make(format: c.format, options: c.options) } catch { fail("\(c.name): \(error)") }
        for chunk in input.chunks {
            let res = ChunkProcessor.process(chunk, anyReader: &reader)
            t.lines += res.lines
            t.touchpoints += res.batch.count
            t.touchpointLines += res.touchpointLines
            t.skipped += res.skips.total
            t.rejected += res.rejects.count
            for r in res.rejects { t.rejectReasons[r.reason, default: 0] += 1 }
            keep?(res)
        }
    }
    return t
}

struct NullConsumer: DecodedBytesConsumer {
    var bytes = 0
    mutating func consume(_ b: UnsafeBufferPointer<UInt8>, member: Int) { bytes &+= b.count }
    mutating func memberVerified(_ member: Int) {}
}

final class ChunkCount {
    var chunks = 0
    var bytes = 0
}

/// Keeps a result alive so the optimiser cannot drop the work that made it.
nonisolated(unsafe) var blackHole = 0

// MARK: - Main

let settings = parseArguments()
let root = repositoryRoot()
func wanted(_ name: String) -> Bool { settings.filter.map { name.lowercased().contains($0) } ?? true }

// As `journeys run` and `journeys events` do: big chunk buffers come from malloc's heap.
MemoryTuning.forStreaming()

let allocCheck = Allocations.selfCheck()
let counting = allocCheck > 0
if journeys_alloc_count_supported() != 0, !counting {
    fail("the allocation counter did not move for a new Swift array: malloc is not interposed (is the executable exporting malloc in its dynamic symbol table?)")
}

let dataDir: String
if let d = settings.data {
    dataDir = d
    guard FileManager.default.fileExists(atPath: d + "/pipeline.yaml") else { fail("\(d)/pipeline.yaml is missing: make the data set with `journeys generate`") }
} else {
    dataDir = root + "/.build/microbench-data"
    GeneratedSettings.ensure(dir: dataDir, persons: settings.persons, days: settings.days, seed: settings.seed)
}
let loadBefore = loadAverage()
let started = Date()
let generated = loadGenerated(dir: dataDir)
guard let nginx = generated.cases.first(where: { $0.format == "nginx" }) else { fail("\(dataDir)/pipeline.yaml has no nginx source") }
let webTexts: [[UInt8]] = nginx.inputs.map { input in
    var t: [UInt8] = []
    t.reserveCapacity(input.bytes)
    for c in input.chunks { t.append(contentsOf: c.bytes) }
    return t
}

var rows: [Row] = []
var notes: [String] = []
let reps = settings.reps

// 1. gunzip + line split over the generated nginx files, gzipped, in memory.
let webBytes = nginx.bytes, webLines = nginx.lines
let webGz = generated.webFiles.reduce(0) { $0 + $1.gz.count }
let webInput = "generated nginx, \(generated.webFiles.count) files, \(String(format: "%.1f", Double(webGz) / 1e6)) MB gzipped"
if wanted("gunzip") {
    rows.append(measure("gunzip", input: webInput, reps: reps, countAllocations: counting) {
        var bytes = 0
        for f in generated.webFiles {
            var sink = NullConsumer()
            let report = decode(f.gz, with: ByteStreamDecoder(), into: &sink)
            bytes += Int(report.decompressedBytes)
        }
        return Work(bytes: bytes, lines: webLines)
    })
}
if wanted("line split") {
    rows.append(measure("line split", input: "the same, decompressed, in 256 KiB pieces", reps: reps, countAllocations: counting) {
        var lines = 0, bytes = 0
        let options = ScanOptions(threads: 1)
        for (i, text) in webTexts.enumerated() {
            let count = ChunkCount()
            var chunker = LineChunker(input: Int32(i), chunkSize: options.chunkSize, maxLineLength: options.maxLineLength) { c in
                count.chunks += 1
                count.bytes += c.bytes.count
            }
            feed(text, to: &chunker)
            lines += Int(chunker.linesSeen)
            bytes += count.bytes
        }
        return Work(bytes: bytes, lines: lines)
    })
}
if wanted("gunzip + line split") {
    // InputScanner.scan, reading from memory instead of a file descriptor.
    rows.append(measure("gunzip + line split", input: webInput, reps: reps, countAllocations: counting) {
        var lines = 0, bytes = 0
        let options = ScanOptions(threads: 1)
        for (i, f) in generated.webFiles.enumerated() {
            let count = ChunkCount()
            var chunker = LineChunker(input: Int32(i), chunkSize: options.chunkSize, maxLineLength: options.maxLineLength) { c in
                count.chunks += 1
                count.bytes += c.bytes.count
            }
            let report = decode(f.gz, with: ByteStreamDecoder(), into: &chunker)
            chunker.finish(keepPartialLine: report.lastLineIsWhole)
            lines += Int(chunker.linesSeen)
            bytes += Int(report.decompressedBytes)
        }
        return Work(bytes: bytes, lines: lines)
    })
}

// 2. Each reader's parse, over chunks of lines already decompressed and split.
let fixtureBytes = Int(settings.fixtureMB * 1e6)
let fixtures = loadFixtures(root: root, targetBytes: fixtureBytes, firstInput: Int32(generated.inputNames.count),
                            wanted: { wanted("parse " + $0) })
let order = ["nginx", "combined", "common", "json_access", "w3c", "sendgrid", "ses", "chat", "jsonl", "csv"]
let readerCases = (generated.cases + fixtures).sorted { (order.firstIndex(of: $0.name) ?? 99) < (order.firstIndex(of: $1.name) ?? 99) }
for c in readerCases where wanted("parse " + c.name) {
    var totals = ParseTotals()
    var row = measure("parse " + c.name, input: c.source, reps: reps, countAllocations: counting) {
        totals = parse(c)
        return Work(bytes: c.bytes, lines: Int(totals.lines), touchpoints: totals.touchpoints)
    }
    row.input = c.source
    rows.append(row)
    notes.append("parse \(c.name): \(totals.lines) lines → \(totals.touchpointLines) with touchpoints (\(totals.touchpoints) touchpoints), "
        + "\(totals.skipped) skipped, \(totals.rejected) rejected"
        + (totals.rejectReasons.isEmpty ? "" : " (" + totals.rejectReasons.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ") + ")"))
}

// Where parse nginx's time goes: the shared line checks alone, and the reader alone.
if wanted("nginx line checks") {
    rows.append(measure("nginx line checks", input: "the nginx chunks: forEachLine + LineCheck.check only", reps: reps, countAllocations: counting) {
        var lines = 0, ok = 0
        for input in nginx.inputs {
            for chunk in input.chunks {
                chunk.forEachLine { line, _, _ in
                    lines += 1
                    if LineCheck.check(line) == .ok { ok += 1 }
                }
            }
        }
        blackHole &+= ok
        return Work(bytes: nginx.bytes, lines: lines)
    })
}
if wanted("nginx read() only") {
    rows.append(measure("nginx read() only", input: "the nginx chunks: forEachLine + reader.read, no ChunkProcessor", reps: reps, countAllocations: counting) {
        var lines = 0, touchpoints = 0
        for input in nginx.inputs {
            var reader: any LogReader
            do throws(ConfigError) { reader = try ReaderRegistry.make(format: nginx.format, options: nginx.options) } catch { fail("nginx: \(error)") }
            var buffer = TouchpointBuffer()
            for chunk in input.chunks {
                chunk.forEachLine { line, number, offset in
                    lines += 1
                    if case .emitted(let n) = reader.read(line, origin: Origin(input: chunk.input, line: number, offset: offset), into: &buffer) {
                        touchpoints += n
                    }
                }
                buffer = TouchpointBuffer() // as the runner does for each chunk
            }
        }
        return Work(bytes: nginx.bytes, lines: lines, touchpoints: touchpoints)
    })
}

// 3. Stitching every touchpoint of the generated data (web, email, chat).
if wanted("stitch") {
    var touchpoints: [Touchpoint] = []
    for c in generated.cases { _ = parse(c) { touchpoints.append(contentsOf: $0.touchpoints) } }
    let allBytes = generated.cases.reduce(0) { $0 + $1.bytes }, allLines = generated.cases.reduce(0) { $0 + $1.lines }
    let input = "touchpoints of the generated nginx + sendgrid + chat"
    let journey = generated.pipeline.journey
    var persons = 0
    rows.append(measure("stitch", input: input, reps: reps, countAllocations: counting) {
        let r = Stitcher.stitch(touchpoints, config: journey)
        persons = r.persons.count
        blackHole &+= persons
        return Work(bytes: allBytes, lines: allLines, touchpoints: touchpoints.count)
    })
    notes.append("stitch: \(touchpoints.count) touchpoints → \(persons) persons (emails and IPs in clear: `run` pseudonymises them first)")
}

if rows.isEmpty { fail("no benchmark matches --filter \(settings.filter ?? "")") }

// MARK: - Report

func grouped(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, ch) in s.reversed().enumerated() {
        if i > 0, i % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return String(out.reversed())
}

func rate(_ x: Double) -> String {
    x >= 1e6 ? String(format: "%.2f M", x / 1e6) : String(format: "%.0f k", x / 1e3)
}

func perUnit(_ a: UInt64?, _ n: Int?) -> String {
    guard let a, let n, n > 0 else { return "–" }
    let x = Double(a) / Double(n)
    return x < 0.01 ? String(format: "%.4f", x) : String(format: "%.2f", x)
}

var out = ""
let stamp = ISO8601DateFormatter().string(from: started)
#if DEBUG
out += "**Debug build: these figures mean nothing; build with -c release.**\n\n"
#endif
out += "journeys-microbench, \(stamp), \(reps) timed runs per benchmark (median), one thread, "
out += "\(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(loadBefore) at start, \(loadAverage()) at end.\n"
out += "Data: \(dataDir) (\(String(format: "%.1f", Double(nginx.bytes + generated.cases.filter { $0.format != "nginx" }.reduce(0) { $0 + $1.bytes }) / 1e6)) MB uncompressed); "
out += "fixtures repeated to about \(settings.fixtureMB) MB per format. MB = 10^6 bytes of uncompressed input; rates use the wall time except MB/s (cpu), which uses the thread's CPU time.\n"
out += counting ? "Allocations: counted by interposed malloc & co. (self-check: a new Swift array counted \(allocCheck)).\n\n"
    : "Allocations: not counted on this platform.\n\n"
out += "| benchmark | input | MB | lines | touchpoints | wall s | cpu s | MB/s | MB/s (cpu) | lines/s | touchpoints/s | allocs/line | allocs/touchpoint |\n"
out += "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
for r in rows {
    let mb = Double(r.work.bytes) / 1e6
    let tp = r.work.touchpoints
    out += "| \(r.name) | \(r.input) | \(String(format: "%.1f", mb)) | \(grouped(r.work.lines)) | \(tp.map(grouped) ?? "–") | "
    out += "\(String(format: "%.4f", r.wall)) | \(String(format: "%.4f", r.cpu)) | \(String(format: "%.0f", mb / r.wall)) | \(String(format: "%.0f", mb / r.cpu)) | "
    out += "\(rate(Double(r.work.lines) / r.wall)) | \(tp.map { rate(Double($0) / r.wall) } ?? "–") | "
    out += "\(perUnit(r.allocations, r.work.lines)) | \(perUnit(r.allocations, tp)) |\n"
}
if !notes.isEmpty {
    out += "\n"
    for n in notes { out += "- \(n)\n" }
}
print(out, terminator: "")
if blackHole == Int.min { print("") }
