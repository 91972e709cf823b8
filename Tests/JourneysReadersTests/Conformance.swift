import Foundation
import JourneysCore
import JourneysIO
import JourneysPipeline
import JourneysReaders
import Testing

/// The repository's top folder (fixtures live in `fixtures/`).
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The bytes of a file under `fixtures/`.
func fixture(_ relative: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: repoRoot.appendingPathComponent("fixtures").appendingPathComponent(relative)))
}

/// Everything one reading of an input produced, comparable across ways of feeding it.
struct ReadOutcome: Equatable, CustomStringConvertible {
    var touchpoints: [Touchpoint] = []
    /// (line, reason) of each reject, in line order.
    var rejects: [RejectRecord] = []
    var skips = SkipCounts()
    var lines: Int64 = 0
    var damage: InputDamage?

    var rejectReasons: [RejectReason] { rejects.map(\.reason) }
    var description: String {
        "\(touchpoints.count) touchpoints, rejects \(rejects.map { "\($0.origin.line):\($0.reason.rawValue)" }), skips \(skips.counts), \(lines) lines, damage \(String(describing: damage))"
    }
}

/// Reads `bytes` as one input with `format`, handing the decoder `feed` bytes per read (nil: all
/// at once) and cutting chunks of `chunkSize` bytes. Stateless readers get a fresh copy per
/// chunk, as the parallel runner gives them.
func read(_ bytes: [UInt8], format: String, options: ReaderOptions = ReaderOptions(), feed: Int? = nil,
          chunkSize: Int = 1 << 20, maxLineLength: Int = 1 << 20) throws -> ReadOutcome {
    let prototype = try ReaderRegistry.make(format: format, options: options)
    var chunks: [LineChunk] = []
    var chunker = LineChunker(input: 0, chunkSize: chunkSize, maxLineLength: maxLineLength) { chunks.append($0) }
    var pos = 0
    let report = ByteStreamDecoder(bufferSize: 4096).decode(read: { buf in
        let n = min(buf.count, feed ?? buf.count, bytes.count - pos)
        if n <= 0 { return 0 }
        bytes.withUnsafeBytes { src in buf.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[pos..<(pos + n)])) }
        pos += n
        return n
    }, into: &chunker)
    chunker.finish(keepPartialLine: report.damage == nil)
    var outcome = ReadOutcome(damage: report.damage)
    var shared = prototype
    for c in chunks {
        var reader = prototype.isStateful ? shared : prototype
        let r = ChunkProcessor.process(c, anyReader: &reader)
        if prototype.isStateful { shared = reader }
        outcome.touchpoints += r.touchpoints
        outcome.rejects += r.rejects
        outcome.skips.add(r.skips)
        outcome.lines += r.lines
    }
    return outcome
}

/// gzip-compresses `bytes`, as `members` concatenated members split at arbitrary points
/// (including inside a line).
func gzip(_ bytes: [UInt8], members: Int = 1) -> [UInt8] {
    guard members > 1, bytes.count > members else { return GzipCompressor.compress(bytes) }
    var out: [UInt8] = []
    let step = bytes.count / members + 1
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + step)
        out += GzipCompressor.compress(Array(bytes[start..<end]))
        start = end
    }
    return out
}

/// The shared conformance check every reader passes: the same fixture fed in 1-byte, 7-byte,
/// 4 KiB and whole reads, plain and gzipped, as one and as two gzip members, and cut into tiny
/// chunks, gives the same outcome. Returns that outcome for format-specific assertions.
@discardableResult
func expectConformance(_ bytes: [UInt8], format: String, options: ReaderOptions = ReaderOptions(),
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> ReadOutcome {
    let baseline = try read(bytes, format: format, options: options)
    #expect(baseline.damage == nil, sourceLocation: sourceLocation)
    #expect(baseline.lines > 0, sourceLocation: sourceLocation)
    let variants: [(String, [UInt8], Int?, Int)] = [
        ("plain, 1-byte reads", bytes, 1, 1 << 20),
        ("plain, 7-byte reads", bytes, 7, 1 << 20),
        ("plain, 4 KiB reads", bytes, 4096, 1 << 20),
        ("plain, 64-byte chunks", bytes, nil, 64),
        ("gzip, whole", gzip(bytes), nil, 1 << 20),
        ("gzip, 1-byte reads", gzip(bytes), 1, 1 << 20),
        ("gzip, 7-byte reads", gzip(bytes), 7, 300),
        ("gzip, two members", gzip(bytes, members: 2), 4096, 1 << 20),
        ("gzip, two members, 1-byte reads", gzip(bytes, members: 2), 1, 100),
    ]
    for (name, input, feed, chunk) in variants {
        let got = try read(input, format: format, options: options, feed: feed, chunkSize: chunk)
        #expect(got == baseline, "\(format): \(name) differs: \(got) vs \(baseline)", sourceLocation: sourceLocation)
    }
    return baseline
}

/// Milliseconds of a time of day.
func hms(_ h: Int64, _ m: Int64, _ s: Int64) -> Int64 { (h * 3600 + m * 60 + s) * 1000 }

/// The IP + user-agent fallback visitor key, computed independently of the readers from its
/// documented definition: `ipua-` + FNV-1a 64 of the IP, a NUL byte and the decoded agent.
func fallback(_ ip: String, _ agent: String) -> String {
    var h = FNV1a64()
    h.combine(ip)
    h.combine(byte: 0)
    h.combine(agent)
    return "ipua-" + h.hex
}
