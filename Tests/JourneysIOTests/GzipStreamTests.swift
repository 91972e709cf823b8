import JourneysIO
import Testing

/// Decodes `bytes` through the real decoder and chunker, `feed` bytes per read.
func decodeLines(_ bytes: [UInt8], feed: Int = 1 << 20, chunkSize: Int = 1 << 20, maxLine: Int = 1 << 20)
    -> (lines: [String], oversize: [(line: Int64, length: Int64)], report: ByteStreamDecoder.Report, dropped: Int, gaps: [InputGap]) {
    var chunks: [LineChunk] = []
    var chunker = LineChunker(input: 0, chunkSize: chunkSize, maxLineLength: maxLine) { chunks.append($0) }
    var pos = 0
    let report = ByteStreamDecoder(bufferSize: 64).decode(read: { buf in
        let n = min(buf.count, feed, bytes.count - pos)
        if n <= 0 { return 0 }
        bytes.withUnsafeBytes { buf.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[pos..<(pos + n)])) }
        pos += n
        return n
    }, into: &chunker)
    let dropped = chunker.finish(keepPartialLine: report.lastLineIsWhole)
    var lines: [String] = []
    var over: [(Int64, Int64)] = []
    var expectLine: Int64 = 1
    for c in chunks {
        #expect(c.firstLine == expectLine, "line numbers are contiguous")
        if let o = c.oversize {
            over.append((c.firstLine, o.length))
            lines.append("<oversize>")
            expectLine += 1
            continue
        }
        c.forEachLine { b, n, _ in
            #expect(n == expectLine)
            expectLine += 1
            lines.append(String(decoding: b, as: UTF8.self))
        }
    }
    return (lines, over, report, dropped, chunker.gaps)
}

let text = Array("alpha\nbeta\r\ngamma\n\ndelta".utf8)

@Suite struct GzipStreamTests {
    @Test func plainTextAndFinalLineWithoutNewline() {
        let r = decodeLines(text, feed: 3)
        #expect(r.lines == ["alpha", "beta", "gamma", "", "delta"])
        #expect(!r.report.isGzip)
        #expect(r.report.damage == nil)
    }

    @Test func gzipIsRecognisedByMagicNotName() {
        for feed in [1, 2, 7, 4096] {
            let r = decodeLines(GzipCompressor.compress(text), feed: feed)
            #expect(r.lines == ["alpha", "beta", "gamma", "", "delta"])
            #expect(r.report.isGzip)
            #expect(r.report.members == 1)
            #expect(r.report.damage == nil)
        }
    }

    @Test func multiMemberWithALineSplitAcrossMembers() {
        // "gam" ends member 1, "ma\n..." starts member 2; an empty member sits in between.
        let m1 = GzipCompressor.compress(Array("alpha\nbeta\r\ngam".utf8))
        let empty = GzipCompressor.compress([])
        let m2 = GzipCompressor.compress(Array("ma\n\ndelta".utf8))
        for feed in [1, 5, 4096] {
            let r = decodeLines(m1 + empty + m2, feed: feed)
            #expect(r.lines == ["alpha", "beta", "gamma", "", "delta"])
            #expect(r.report.members == 3)
            #expect(r.report.damage == nil)
        }
    }

    @Test func emptyInputs() {
        let r = decodeLines([])
        #expect(r.lines.isEmpty && r.report.damage == nil && !r.report.isGzip)
        let e = decodeLines(GzipCompressor.compress([]))
        #expect(e.lines.isEmpty && e.report.damage == nil && e.report.isGzip)
    }

    @Test func truncatedBodyKeepsCompleteLinesOnly() {
        var body: [UInt8] = []
        for i in 0..<2000 { body += Array("line number \(i) with some padding text\n".utf8) }
        let gz = GzipCompressor.compress(body)
        let cut = Array(gz[..<(gz.count / 2)])
        let r = decodeLines(cut, feed: 1000)
        #expect(r.report.damage?.kind == .truncated)
        #expect(r.report.damage?.member == 1)
        #expect(r.report.damage?.byteOffset == Int64(cut.count))
        #expect(!r.lines.isEmpty && r.lines.count < 2000)
        // Every kept line is complete and in order.
        for (i, l) in r.lines.enumerated() { #expect(l == "line number \(i) with some padding text") }
        #expect(r.dropped >= 0)
    }

    @Test func truncatedTrailer() {
        let gz = GzipCompressor.compress(Array("a\nb\nc".utf8))
        let r = decodeLines(Array(gz[..<(gz.count - 3)]))
        #expect(r.report.damage?.kind == .truncated)
        // The complete lines are kept; the unterminated "c" is not trusted.
        #expect(r.lines == ["a", "b"])
        #expect(r.dropped == 1)
    }

    @Test func crcAndLengthMismatch() {
        var gz = GzipCompressor.compress(Array("a\nb\n".utf8))
        gz[gz.count - 8] ^= 0xFF // CRC-32
        #expect(decodeLines(gz).report.damage?.kind == .checksum)
        var gz2 = GzipCompressor.compress(Array("a\nb\n".utf8))
        gz2[gz2.count - 1] ^= 0x01 // ISIZE
        #expect(decodeLines(gz2).report.damage?.kind == .checksum)
    }

    @Test func corruptBody() {
        var gz = GzipCompressor.compress(Array(String(repeating: "hello world\n", count: 50).utf8))
        for i in 12..<18 { gz[i] = 0xFF }
        let d = decodeLines(gz).report.damage
        #expect(d?.kind == .corrupt || d?.kind == .checksum)
    }

    @Test func trailingZerosAcceptedGarbageReported() {
        let gz = GzipCompressor.compress(Array("a\nb\n".utf8))
        let zeros = decodeLines(gz + [UInt8](repeating: 0, count: 100), feed: 7)
        #expect(zeros.report.damage == nil)
        #expect(zeros.report.trailingZeros == 100)
        #expect(zeros.lines == ["a", "b"])
        let garbage = decodeLines(gz + Array("junk".utf8))
        #expect(garbage.report.damage?.kind == .trailingGarbage)
        #expect(garbage.report.damage?.byteOffset == Int64(gz.count))
        #expect(garbage.lines == ["a", "b"])
        let loneByte = decodeLines(gz + [0x1f])
        #expect(loneByte.report.damage != nil)
    }

    @Test func garbageBetweenMembersIsSkippedToTheNextMember() {
        let m1 = GzipCompressor.compress(Array("a\nb".utf8)) // no final newline: "b" ends at the gap
        // Junk with a false start (1f 8b not followed by 08) and zeros, then two members.
        let junk = Array("junk".utf8) + [0x1f, 0x8b, 0x00, 0, 0]
        let m2 = GzipCompressor.compress(Array("c\n".utf8)), m3 = GzipCompressor.compress(Array("d\n".utf8))
        for feed in [1, 2, 7, 1 << 20] {
            let r = decodeLines(m1 + junk + m2 + [0, 0] + m3, feed: feed)
            #expect(r.lines == ["a", "b", "c", "d"], "feed \(feed)")
            #expect(r.report.damage == nil && r.report.members == 3, "feed \(feed)")
            #expect(r.gaps.map(\.damage.kind) == [.garbage, .garbage], "feed \(feed)")
            #expect(r.gaps.map(\.damage.byteOffset) == [Int64(m1.count), Int64(m1.count + junk.count + m2.count)], "feed \(feed)")
            #expect(r.gaps.map(\.lastLine) == [2, 3], "feed \(feed)")
            #expect(r.gaps.first?.damage.message == "skipped 9 bytes that are not gzip; read on from gzip member 2 at byte \(m1.count + junk.count)")
        }
        // With no member after them, the bytes end the input as trailing garbage, counted.
        let end = decodeLines(m1 + junk)
        #expect(end.lines == ["a", "b"] && end.report.damage?.kind == .trailingGarbage)
        #expect(end.report.damage?.message == "9 bytes after gzip member 1 are not gzip, to the end of the input")
        // The first bytes of a header, then the end: truncated.
        #expect(decodeLines(m1 + [0x1f, 0x8b]).report.damage?.kind == .truncated)
    }

    @Test func overlongLinesAreSetAsideWithTheirNumber() {
        let long = String(repeating: "x", count: 300)
        let input = Array("short\n\(long)\nafter\n\(long)".utf8)
        for feed in [1, 13, 4096] {
            let r = decodeLines(input, feed: feed, chunkSize: 16, maxLine: 100)
            #expect(r.lines == ["short", "<oversize>", "after", "<oversize>"])
            #expect(r.oversize.map(\.line) == [2, 4])
            #expect(r.oversize.map(\.length) == [300, 300])
        }
    }

    @Test func offsetsPointAtLineStarts() {
        var chunks: [LineChunk] = []
        var chunker = LineChunker(input: 0, chunkSize: 4) { chunks.append($0) }
        let bytes = Array("ab\ncde\n\nf\n".utf8)
        bytes.withUnsafeBufferPointer { chunker.consume($0, member: 0) }
        chunker.finish(keepPartialLine: true)
        var offsets: [Int64] = []
        for c in chunks { c.forEachLine { _, _, off in offsets.append(off) } }
        #expect(offsets == [0, 3, 7, 8])
    }
}
