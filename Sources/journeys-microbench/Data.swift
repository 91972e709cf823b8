import Foundation
import JourneysCore
import JourneysGenerator
import JourneysIO
import JourneysPipeline
import JourneysReaders

/// Fails the program with a message on standard error.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("journeys-microbench: error: \(message)\n".utf8))
    exit(1)
}

func note(_ message: String) {
    FileHandle.standardError.write(Data("journeys-microbench: \(message)\n".utf8))
}

/// The bytes of a file, as they are on disk.
func readFile(_ path: String) -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    return [UInt8](d)
}

/// Feeds `bytes` to `decoder` as a file descriptor would (copies into the decoder's buffer).
func decode<C: DecodedBytesConsumer>(_ bytes: [UInt8], with decoder: ByteStreamDecoder, into consumer: inout C) -> ByteStreamDecoder.Report {
    var pos = 0
    return bytes.withUnsafeBytes { src in
        decoder.decode(read: { buf in
            let n = min(buf.count, src.count - pos)
            if n > 0 { buf.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[pos..<(pos + n)])) }
            pos += n
            return n
        }, into: &consumer)
    }
}

/// Collects decoded bytes.
struct Collect: DecodedBytesConsumer {
    var bytes: [UInt8] = []
    mutating func consume(_ b: UnsafeBufferPointer<UInt8>, member: Int) { bytes.append(contentsOf: b) }
    mutating func memberVerified(_ member: Int) {}
}

/// The decompressed text of a file (gzip or plain).
func decompressed(_ path: String) -> [UInt8] {
    var c = Collect()
    let report = decode(readFile(path), with: ByteStreamDecoder(), into: &c)
    if let d = report.damage { fail("\(path): \(d)") }
    return c.bytes
}

final class ChunkBox {
    var chunks: [LineChunk] = []
}

/// Splits text into the chunks the scanner would make (`ScanOptions` defaults: 1 MiB chunks,
/// 1 MiB line limit), fed in pieces of the decoder's buffer size.
func chunks(of text: [UInt8], input: Int32) -> [LineChunk] {
    let box = ChunkBox()
    let options = ScanOptions(threads: 1)
    var chunker = LineChunker(input: input, chunkSize: options.chunkSize, maxLineLength: options.maxLineLength) { box.chunks.append($0) }
    feed(text, to: &chunker)
    return box.chunks
}

/// Feeds `text` to `chunker` in pieces of the decoder's buffer size, as the scanner does, and finishes it.
func feed(_ text: [UInt8], to chunker: inout LineChunker) {
    let piece = ByteStreamDecoder.defaultBufferSize
    text.withUnsafeBufferPointer { all in
        var i = 0
        while i < all.count {
            let n = min(piece, all.count - i)
            chunker.consume(UnsafeBufferPointer(rebasing: all[i..<(i + n)]), member: 0)
            i += n
        }
    }
    chunker.finish(keepPartialLine: true)
}

/// One input of a reader benchmark: its chunks, already decompressed and split.
struct PreparedInput {
    var name: String
    var chunks: [LineChunk]
    var bytes: Int
    var lines: Int
}

/// The lines of one format, read the way the pipeline reads them.
struct ReaderCase {
    var name: String
    var format: String
    var options: ReaderOptions
    var inputs: [PreparedInput]
    /// Where the lines come from, for the report.
    var source: String
    var bytes: Int { inputs.reduce(0) { $0 + $1.bytes } }
    var lines: Int { inputs.reduce(0) { $0 + $1.lines } }
}

func countLines(_ b: [UInt8]) -> Int {
    var n = 0
    for c in b where c == 10 { n += 1 }
    if let last = b.last, last != 10 { n += 1 }
    return n
}

func prepare(name: String, text: [UInt8], input: Int32) -> PreparedInput {
    PreparedInput(name: name, chunks: chunks(of: text, input: input), bytes: text.count, lines: countLines(text))
}

// MARK: - Generated data

struct GeneratedData {
    var dir: String
    var pipeline: PipelineConfig
    /// The gzipped web files, as on disk.
    var webFiles: [(path: String, gz: [UInt8])]
    /// nginx, sendgrid and chat, every file one input (input numbers unique across the three).
    var cases: [ReaderCase]
    var inputNames: [String]
}

enum GeneratedSettings {
    static func stamp(persons: Int, days: Int, seed: UInt64) -> String {
        "generator \(Generator.version) persons \(persons) days \(days) seed \(seed) start 2026-10-01\n"
    }

    /// Generates the data set into `dir` unless the stamp there says it is already made with these settings.
    static func ensure(dir: String, persons: Int, days: Int, seed: UInt64) {
        let stampPath = dir + "/.microbench-stamp"
        let want = stamp(persons: persons, days: days, seed: seed)
        if let have = try? String(contentsOfFile: stampPath, encoding: .utf8), have == want,
           FileManager.default.fileExists(atPath: dir + "/pipeline.yaml") {
            return
        }
        note("generating \(persons) persons × \(days) days (seed \(seed)) into \(dir) …")
        let config = GeneratorConfig(persons: persons, days: days, seed: seed, startDay: GeneratorConfig.day(of: "2026-10-01")!,
                                     out: dir, threads: ProcessInfo.processInfo.activeProcessorCount)
        do {
            _ = try Generator.run(config)
        } catch {
            fail("cannot generate the data set: \(error)")
        }
        do { try want.write(toFile: stampPath, atomically: true, encoding: .utf8) } catch { fail("cannot write \(stampPath): \(error)") }
    }
}

func loadGenerated(dir: String) -> GeneratedData {
    let pipelinePath = dir + "/pipeline.yaml"
    let pipeline: PipelineConfig
    do throws(PipelineError) { pipeline = try PipelineConfig.load(path: pipelinePath) } catch { fail("\(error)") }
    var cases: [ReaderCase] = []
    var names: [String] = []
    var webFiles: [(path: String, gz: [UInt8])] = []
    for source in pipeline.sources {
        guard let format = source.format else { fail("\(pipelinePath): a source without a format") }
        let specs = SourcePaths.expand(source.path, format: format)
        if let problem = specs.lazy.compactMap(\.problem).first { fail("\(problem)") }
        var inputs: [PreparedInput] = []
        for spec in specs {
            let raw = readFile(spec.path)
            if format == "nginx" { webFiles.append((spec.path, raw)) }
            var c = Collect()
            let report = decode(raw, with: ByteStreamDecoder(), into: &c)
            if let d = report.damage { fail("\(spec.path): \(d)") }
            inputs.append(prepare(name: spec.path, text: c.bytes, input: Int32(names.count)))
            names.append(spec.path)
        }
        let shortName = (source.path as NSString).lastPathComponent
        cases.append(ReaderCase(name: format, format: format, options: source.options, inputs: inputs,
                                source: "generated \(inputs.count) × \(shortName)"))
    }
    return GeneratedData(dir: dir, pipeline: pipeline, webFiles: webFiles, cases: cases, inputNames: names)
}

// MARK: - Fixtures, replicated

/// A fixture file's leading lines that must appear once per input (a CSV header), and the rest.
/// A W3C file is repeated whole: its directives can change the field layout mid-file (IIS
/// does after a restart), so each copy states its own `#Fields:` again.
func splitHeader(_ text: [UInt8], format: String) -> (header: [UInt8], body: [UInt8]) {
    var lines: [ArraySlice<UInt8>] = text.split(separator: 10, omittingEmptySubsequences: false)
    if lines.last?.isEmpty == true { lines.removeLast() }
    var headerCount = 0
    switch format {
    case "csv": headerCount = min(1, lines.count)
    default: break
    }
    func join(_ ls: ArraySlice<ArraySlice<UInt8>>) -> [UInt8] {
        var o: [UInt8] = []
        for l in ls { o.append(contentsOf: l); o.append(10) }
        return o
    }
    return (join(lines[..<headerCount]), join(lines[headerCount...]))
}

/// The fixture formats: format → the files of pipelines/all-formats.yaml it reads (by file name).
let fixtureCases: [(format: String, files: [String])] = [
    ("combined", ["access.log.gz"]),
    ("common", ["common.log"]),
    ("json_access", ["access.json.gz", "caddy.json.gz", "traefik.json.gz"]),
    ("w3c", ["iis.log.gz", "cloudfront.log.gz"]),
    ("ses", ["ses_events.ndjson.gz"]),
    ("jsonl", ["events.jsonl"]),
    ("csv", ["orders.csv"]),
]

/// Each fixture's lines repeated to about `targetBytes` per format, with the options
/// pipelines/all-formats.yaml gives them. Header lines appear once at the top of each input.
func loadFixtures(root: String, targetBytes: Int, firstInput: Int32, wanted: (String) -> Bool) -> [ReaderCase] {
    let pipelinePath = root + "/pipelines/all-formats.yaml"
    let pipeline: PipelineConfig
    do throws(PipelineError) { pipeline = try PipelineConfig.load(path: pipelinePath) } catch { fail("\(error)") }
    var cases: [ReaderCase] = []
    var input = firstInput
    for (format, files) in fixtureCases where wanted(format) {
        var inputs: [PreparedInput] = []
        var options: ReaderOptions?
        let perFile = max(1, targetBytes / files.count)
        for file in files {
            guard let source = pipeline.sources.first(where: { $0.format == format && $0.path.hasSuffix("/" + file) }) else {
                fail("\(pipelinePath) has no \(format) source reading \(file)")
            }
            options = source.options
            let (header, body) = splitHeader(decompressed(source.path), format: format)
            guard !body.isEmpty else { fail("\(source.path) has no lines") }
            let copies = max(1, (perFile + body.count - 1) / body.count)
            var text = header
            text.reserveCapacity(header.count + copies * body.count)
            for _ in 0..<copies { text.append(contentsOf: body) }
            inputs.append(prepare(name: source.path, text: text, input: input))
            input += 1
        }
        cases.append(ReaderCase(name: format, format: format, options: options!, inputs: inputs,
                                source: "fixtures " + files.map { $0.replacingOccurrences(of: ".gz", with: "") }.joined(separator: ", ") + " repeated"))
    }
    return cases
}
