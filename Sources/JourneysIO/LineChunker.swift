/// A run of whole lines from one input, the unit of parallel parsing.
///
/// `bytes` holds complete lines, each ending in `\n` except possibly the input's final line.
/// Line numbers are contiguous: the chunk's lines are `firstLine`, `firstLine + 1`, …. A line
/// over the length limit is never put into a chunk: it travels alone as `oversize`.
public struct LineChunk: Sendable {
    public var input: Int32
    /// 0-based sequence number of this chunk within its input.
    public var sequence: Int
    public var firstLine: Int64
    /// Offset of `bytes[0]` in the decompressed stream.
    public var baseOffset: Int64
    public var bytes: [UInt8]
    /// Set when this chunk stands for one rejected over-long line (and `bytes` holds its first bytes).
    public var oversize: Oversize?
    /// The gzip member the chunk's last byte came from (0 for plain text).
    public var lastMember: Int

    public struct Oversize: Sendable, Hashable {
        public var length: Int64
    }

    public init(input: Int32, sequence: Int, firstLine: Int64, baseOffset: Int64, bytes: [UInt8], oversize: Oversize? = nil, lastMember: Int = 0) {
        self.input = input
        self.sequence = sequence
        self.firstLine = firstLine
        self.baseOffset = baseOffset
        self.bytes = bytes
        self.oversize = oversize
        self.lastMember = lastMember
    }

    /// Calls `body` with each line (terminator and a trailing `\r` removed), its line number and offset.
    @inlinable
    public func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Int64, Int64) -> Void) {
        bytes.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return }
            var start = 0
            var line = firstLine
            let n = all.count
            while start < n {
                let rest = n - start
                let nl = memchr(base + start, 10, rest).map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - base } ?? n
                var end = nl
                if end > start, base[end - 1] == 13 { end -= 1 }
                body(UnsafeBufferPointer(start: base + start, count: end - start), line, baseOffset + Int64(start))
                line += 1
                start = nl + 1
            }
        }
    }

    /// Number of lines the chunk stands for (counts the newlines; the chunker already knows it).
    public var lineCount: Int64 {
        if oversize != nil { return 1 }
        var count: Int64 = 0
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            var i = 0
            while i < b.count, let p = memchr(base + i, 10, b.count - i) {
                count += 1
                i = UnsafePointer<UInt8>(p.assumingMemoryBound(to: UInt8.self)) - base + 1
            }
            if let last = b.last, last != 10 { count += 1 }
        }
        return count
    }
}

/// Bytes between gzip members that were not a member, skipped up to the next member.
public struct InputGap: Sendable, Hashable {
    /// Where and how many (`kind == .garbage`).
    public var damage: InputDamage
    /// The last line before the gap.
    public var lastLine: Int64
}

/// Splits decoded bytes into `LineChunk`s of about `chunkSize` bytes, carrying a line that
/// spans two reads (or two gzip members) over rather than re-reading it.
public struct LineChunker: DecodedBytesConsumer {
    /// The largest `maxLineLength` the command line accepts (64 MiB): a line up to the limit is
    /// held in memory whole, so the limit bounds what one line can cost.
    public static let maxLineLengthCap = 64 << 20
    public let input: Int32
    public let chunkSize: Int
    public let maxLineLength: Int
    /// How many bytes of an over-long line are kept for the rejects output.
    public let oversizeKeep: Int
    let emit: (LineChunk) -> Void

    var buffer: [UInt8] = []
    var bufferOffset: Int64 = 0       // decompressed offset of buffer[0]
    var nextLine: Int64 = 1
    var sequence = 0
    var currentMember = 0
    /// Start (in `buffer`) of the line not yet ended.
    var lineStart = 0
    /// Complete lines in `buffer[..<lineStart]`.
    var completeLines: Int64 = 0
    /// Set while skipping the rest of an over-long line.
    var oversizeSkip: (line: Int64, offset: Int64, length: Int64, head: [UInt8])?
    public private(set) var verifiedMembers = 0
    /// Garbage skipped between members, in input order.
    public private(set) var gaps: [InputGap] = []

    public init(input: Int32, chunkSize: Int = 1 << 20, maxLineLength: Int = 1 << 20, oversizeKeep: Int = 64 * 1024,
                emit: @escaping (LineChunk) -> Void) {
        self.input = input
        self.chunkSize = max(1, chunkSize)
        self.maxLineLength = max(1, maxLineLength)
        self.oversizeKeep = oversizeKeep
        self.emit = emit
        buffer.reserveCapacity(self.chunkSize + 4096)
    }

    public mutating func memberVerified(_ member: Int) { verifiedMembers = member }

    public mutating func startAt(offset: Int64, line: Int64) {
        bufferOffset = offset
        nextLine = line
    }

    /// A line cut by the gap ends there, as at the end of an input: the next member starts a line.
    public mutating func skipped(_ damage: InputDamage) {
        finish(keepPartialLine: true)
        gaps.append(InputGap(damage: damage, lastLine: linesSeen))
    }

    public mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, member: Int) {
        // A chunk never holds complete lines of two members, so a member whose CRC fails can be
        // dropped by its chunks (`lastMember`) without losing lines of the members before it.
        if member != currentMember, oversizeSkip == nil, lineStart > 0 { flush() }
        currentMember = member
        var rest = bytes
        while !rest.isEmpty {
            if var skip = oversizeSkip {
                // Discard up to the end of the over-long line.
                if let nl = rest.firstIndex(of: 10) {
                    skip.length += Int64(nl)
                    if skip.head.count < oversizeKeep {
                        skip.head.append(contentsOf: rest[..<min(nl, oversizeKeep - skip.head.count)])
                    }
                    oversizeSkip = nil
                    emitOversize(skip)
                    bufferOffset = skip.offset + skip.length + 1
                    rest = UnsafeBufferPointer(rebasing: rest[(nl + 1)...])
                } else {
                    skip.length += Int64(rest.count)
                    if skip.head.count < oversizeKeep {
                        skip.head.append(contentsOf: rest[..<min(rest.count, oversizeKeep - skip.head.count)])
                    }
                    oversizeSkip = skip
                    return
                }
                continue
            }
            // Append and find complete lines.
            guard Self.reserve(&buffer, rest.count) else {
                // No memory to hold more of the unfinished line: it is rejected as over-long now
                // (its head kept), and the skip above reads past its end.
                let head = Array(buffer[lineStart..<min(buffer.count, lineStart + oversizeKeep)])
                let length = Int64(buffer.count - lineStart)
                buffer.removeSubrange(lineStart...)
                flush()
                oversizeSkip = (line: nextLine, offset: bufferOffset, length: length, head: head)
                continue
            }
            let scanFrom = buffer.count
            buffer.append(contentsOf: rest)
            rest = UnsafeBufferPointer(start: nil, count: 0)
            buffer.withUnsafeBufferPointer { b in
                var i = scanFrom
                while i < b.count {
                    guard let p = memchr(b.baseAddress! + i, 10, b.count - i) else { break }
                    let nl = UnsafePointer<UInt8>(p.assumingMemoryBound(to: UInt8.self)) - b.baseAddress!
                    if nl - lineStart > maxLineLength { break }
                    lineStart = nl + 1
                    completeLines += 1
                    i = nl + 1
                }
            }
            // An unfinished line already longer than the limit, or a finished one over it.
            if buffer.count - lineStart > maxLineLength {
                // Only the line's head and the bytes after its end are copied: the line itself
                // may be as long as the memory there is.
                let nlInside = buffer[lineStart...].firstIndex(of: 10)
                let end = nlInside ?? buffer.count
                let head = Array(buffer[lineStart..<min(end, lineStart + oversizeKeep)])
                let remainder = nlInside.map { Array(buffer[($0 + 1)...]) } ?? []
                let length = Int64(end - lineStart)
                buffer.removeSubrange(lineStart...)
                flush()
                let s = (line: nextLine, offset: bufferOffset, length: length, head: head)
                if nlInside != nil {
                    // The over-long line ended within these bytes; feed the remainder back.
                    emitOversize(s)
                    bufferOffset = s.offset + s.length + 1
                    remainder.withUnsafeBufferPointer { consume($0, member: member) }
                } else {
                    oversizeSkip = s
                }
                return
            }
            if lineStart >= chunkSize { flush() }
        }
    }

    /// Makes room for `extra` more bytes in `buffer`, or returns false when that memory cannot be
    /// had. Swift traps when an array cannot grow, and a line may grow the buffer up to
    /// `maxLineLength` (64 MiB): so growing asks `malloc` first (the probe, like the growth,
    /// allocates while the old storage is alive). At most one probe per growth, not per line.
    static func reserve(_ buffer: inout [UInt8], _ extra: Int) -> Bool {
        let need = buffer.count + extra
        guard need > buffer.capacity else { return true }
        for size in [max(need, buffer.capacity * 2), need] {
            guard let probe = malloc(size + 4096) else { continue }
            free(probe)
            buffer.reserveCapacity(size)
            return true
        }
        return false
    }

    /// Emits the complete lines in the buffer (`buffer[..<lineStart]`) as a chunk.
    ///
    /// The buffer itself becomes the chunk's storage (no copy); only the unfinished line after
    /// the cut is moved into a fresh buffer.
    mutating func flush() {
        let cut = lineStart
        guard cut > 0 else { return }
        var tail = [UInt8]()
        tail.reserveCapacity(chunkSize + 4096)
        tail.append(contentsOf: buffer[cut...])
        buffer.removeSubrange(cut...)
        let lines = completeLines + (buffer.last == 10 ? 0 : 1)
        let c = LineChunk(input: input, sequence: sequence, firstLine: nextLine, baseOffset: bufferOffset, bytes: buffer, lastMember: currentMember)
        buffer = tail
        sequence += 1
        nextLine += lines
        bufferOffset += Int64(cut)
        lineStart = 0
        completeLines = 0
        emit(c)
    }

    mutating func emitOversize(_ s: (line: Int64, offset: Int64, length: Int64, head: [UInt8])) {
        let c = LineChunk(input: input, sequence: sequence, firstLine: s.line, baseOffset: s.offset, bytes: s.head,
                          oversize: .init(length: s.length), lastMember: currentMember)
        sequence += 1
        nextLine = s.line + 1
        emit(c)
    }

    /// Ends the input. A final line without a newline is kept when `keepPartialLine` (a clean end),
    /// and returned as dropped bytes otherwise (a truncated input: the cut line is not trusted).
    /// Returns the number of bytes of a partial final line that were dropped.
    @discardableResult
    public mutating func finish(keepPartialLine: Bool) -> Int {
        flush()
        if let skip = oversizeSkip {
            oversizeSkip = nil
            if keepPartialLine { emitOversize(skip) } else { return Int(skip.length) }
            return 0
        }
        guard !buffer.isEmpty else { return 0 }
        if keepPartialLine {
            lineStart = buffer.count
            flush()
            return 0
        }
        let dropped = buffer.count
        buffer.removeAll()
        return dropped
    }

    /// The line number the next line would get (lines seen so far + 1).
    public var linesSeen: Int64 { nextLine - 1 }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
