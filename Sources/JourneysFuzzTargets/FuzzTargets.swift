import JourneysCore
import JourneysIO
import JourneysPipeline
import JourneysReaders

/// The fuzz targets of `make fuzz`: one per reader, one for the gzip + line layer and one for
/// pipeline files (`pipeline`: the bytes parsed as `journeys check` loads a file). Each takes
/// arbitrary bytes and must neither crash nor trap; `journeys-fuzz` runs them under libFuzzer and
/// AddressSanitizer, and a test replays every saved crash input in `Tests/fuzz-corpus/<target>/`.
public enum FuzzTargets {
    /// The target the fuzz driver runs (set once before fuzzing starts).
    nonisolated(unsafe) public static var selected = ""

    /// Target names (the corpus folder names).
    public static let names: [String] = ["gzip_lines", "pipeline"] + readerFormats.map(\.name)

    /// Reader formats with the options that make them read something (generic ones need a field map).
    static let readerFormats: [(name: String, options: ReaderOptions)] = {
        var json = ReaderOptions()
        json.fields = ["time": "ts", "action": "event", "visitor": "anonymous_id", "customer": "user_id",
                       "email": "traits.email", "url": "properties.url", "value": "properties.revenue|properties.value"]
        var csv = ReaderOptions()
        csv.fields = ["time": "created_at", "action": "event", "customer": "customer_id", "email": "email",
                      "value": "total", "currency": "currency", "event_id": "order_id", "text": "note"]
        return ReaderRegistry.names.map { name in
            (name, name == GenericJSONReader.format ? json : name == GenericCSVReader.format ? csv : ReaderOptions())
        }
    }()

    /// Runs one target on one input. Unknown names do nothing.
    public static func run(_ target: String, _ data: UnsafeBufferPointer<UInt8>) {
        if target == "gzip_lines" { gzipLines(data); return }
        if target == "pipeline" { _ = try? PipelineConfig.parse(bytes: Array(data), file: "fuzz.yaml"); return }
        guard let entry = readerFormats.first(where: { $0.name == target }),
              var reader = try? ReaderRegistry.make(format: entry.name, options: entry.options) else { return }
        // The input as a small log: decoded and split the way a run does, each line read in order.
        var chunks: [LineChunk] = []
        var chunker = LineChunker(input: 0, chunkSize: 4096, maxLineLength: 1 << 16) { chunks.append($0) }
        data.withMemoryRebound(to: UInt8.self) { chunker.consume($0, member: 0) }
        chunker.finish(keepPartialLine: true)
        var out = TouchpointBuffer()
        for c in chunks where c.oversize == nil {
            c.forEachLine { line, n, offset in
                _ = reader.read(line, origin: Origin(input: 0, line: n, offset: offset), into: &out)
            }
        }
        _ = ReaderRegistry.detect(chunks.prefix(1).flatMap { c -> [[UInt8]] in
            var sample: [[UInt8]] = []
            c.forEachLine { line, _, _ in if sample.count < 8 { sample.append(Array(line)) } }
            return sample
        })
    }

    /// The input as a (possibly gzip) byte stream, read in small uneven pieces through the decoder
    /// and the line chunker; the lines must account for every decoded byte.
    static func gzipLines(_ data: UnsafeBufferPointer<UInt8>) {
        var chunks: [LineChunk] = []
        var chunker = LineChunker(input: 0, chunkSize: 64, maxLineLength: 256, oversizeKeep: 32) { chunks.append($0) }
        var pos = 0
        var step = 1
        let report = ByteStreamDecoder(bufferSize: 64).decode(read: { buf in
            let n = min(buf.count, step, data.count - pos)
            step = step % 97 + 7
            if n <= 0 { return 0 }
            buf.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(data)[pos..<(pos + n)]))
            pos += n
            return n
        }, into: &chunker)
        chunker.finish(keepPartialLine: report.lastLineIsWhole)
        var expect: Int64 = 1
        for c in chunks {
            precondition(c.firstLine == expect, "line numbers are contiguous")
            if c.oversize != nil { expect += 1; continue }
            c.forEachLine { _, n, _ in
                precondition(n == expect, "line numbers are contiguous")
                expect += 1
            }
        }
    }
}
