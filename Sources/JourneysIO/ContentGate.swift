import CZlib

/// The fingerprint of an input's decoded content, by which `journeys run --state` knows content
/// it read on an earlier night whatever the file is called now (logrotate renames
/// `access.log.1` to `access.log.2.gz` every night, compressing it on the way) and reads only
/// what a file gained since (a log that grew).
///
/// It is taken over the decoded bytes — after gunzip, so a file and its gzipped copy match —:
/// their count, the CRC-32 of all of them, the CRC-32 of the first `min(length, headLength)`,
/// and the lines they held.
public struct ContentFingerprint: Sendable, Hashable, Codable {
    /// Bytes of the head: enough to tell unrelated files apart before reading further.
    public static let headLength: Int64 = 64 << 10

    public var length: Int64
    public var crc: UInt32
    public var headCRC: UInt32
    public var lines: Int64

    public init(length: Int64, crc: UInt32, headCRC: UInt32, lines: Int64) {
        self.length = length
        self.crc = crc
        self.headCRC = headCRC
        self.lines = lines
    }

    public var head: Int64 { min(length, Self.headLength) }
}

/// Sits between a `ByteStreamDecoder` and a `LineChunker` and leaves out a prefix of the input
/// that was read before (a `ContentFingerprint` it matches), fingerprinting the whole input on the
/// way.
///
/// **Probing.** Given the fingerprints of content read before, the gate holds the input back
/// while it could still be one of them: the first 64 KiB in memory, then (once a head matched)
/// nothing is kept until the candidate's length, where its CRC decides. The longest candidate
/// that matches whole is the prefix left out; lines then count on from its last line and offsets
/// from its length. When the bytes held back are all in memory the decision costs nothing; when
/// a head matched but the rest did not (the same first 64 KiB, other content after), the input
/// must be read again from its start, skipping only what did match: `restart` says from where,
/// and the caller rewinds and reads again with that `skip` (a regular file; standard input is
/// first copied to one).
public struct ContentGate<Inner: DecodedBytesConsumer>: DecodedBytesConsumer {
    public var inner: Inner
    /// Candidates still possible, by length.
    private var alive: [ContentFingerprint]
    /// The longest candidate matched whole so far.
    public private(set) var matched: ContentFingerprint?
    /// Decoded bytes seen so far, and their CRC-32.
    public private(set) var seen: Int64 = 0
    private var crc = UInt32(crc32(0, nil, 0))
    private var headCRC: UInt32?
    /// The start of the input, held while probing (up to the head length).
    private var held: [UInt8] = []
    /// Bytes past `held` were seen while probing and not kept.
    private var dropped = false
    private var probing: Bool
    /// Bytes left out before forwarding starts (a known prefix), when not probing.
    private var skip: Int64
    /// Set when the input must be read again, skipping this prefix (nil: from the start).
    public private(set) var restart: ContentFingerprint??
    private var lastMember = 0

    /// `known`: fingerprints of content read before. `skip`: a prefix already matched (when
    /// reading again after a `restart`): left out without probing.
    public init(_ inner: Inner, known: [ContentFingerprint], skip: ContentFingerprint? = nil) {
        self.inner = inner
        alive = skip == nil ? known.filter { $0.length > 0 }.sorted { $0.length < $1.length } : []
        matched = skip
        self.skip = skip?.length ?? 0
        probing = !alive.isEmpty
        if let skip { self.inner.startAt(offset: skip.length, line: skip.lines + 1) }
    }

    /// The fingerprint of everything seen (call at the end; `lines` is the chunker's count).
    public func fingerprint(lines: Int64) -> ContentFingerprint {
        ContentFingerprint(length: seen, crc: crc, headCRC: headCRC ?? crc, lines: lines)
    }

    public mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, member: Int) {
        lastMember = member
        guard restart == nil else { return }
        var rest = bytes
        while !rest.isEmpty, restart == nil {
            // Up to the next place where something is decided: the head's end, a candidate's
            // head or length, the end of the skipped prefix.
            var next = seen + Int64(rest.count)
            if headCRC == nil { next = min(next, ContentFingerprint.headLength) }
            if probing {
                for c in alive {
                    if c.head > seen { next = min(next, c.head) }
                    if c.length > seen { next = min(next, c.length); break }
                }
            } else if seen < skip {
                next = min(next, skip)
            }
            let n = Int(next - seen)
            let part = UnsafeBufferPointer(rebasing: rest[..<n])
            rest = UnsafeBufferPointer(rebasing: rest[n...])
            crc = UInt32(crc32(uLong(crc), part.baseAddress, uInt(n)))
            let start = seen
            seen = next
            if seen == ContentFingerprint.headLength { headCRC = crc }
            if probing {
                if start < ContentFingerprint.headLength { held.append(contentsOf: part) } else { dropped = true }
                decide(member: member)
            } else if start >= skip {
                inner.consume(part, member: member)
            }
        }
    }

    /// After `seen` moved: drops candidates that no longer match, and stops probing when none
    /// is left that could still match longer.
    private mutating func decide(member: Int) {
        alive.removeAll { c in
            if c.head == seen, c.headCRC != crc { return true }
            if c.length == seen {
                if c.crc == crc { matched = c }
                return true
            }
            return false
        }
        if !alive.isEmpty { return }
        finishProbing(member: member)
    }

    private mutating func finishProbing(member: Int) {
        probing = false
        let from = matched?.length ?? 0
        if dropped, seen > from {
            // Bytes after the match were not kept: read again, leaving out only the match.
            restart = .some(matched)
            return
        }
        skip = from
        if let m = matched { inner.startAt(offset: m.length, line: m.lines + 1) }
        if Int64(held.count) > from {
            held.withUnsafeBufferPointer { inner.consume(UnsafeBufferPointer(rebasing: $0[Int(from)...]), member: member) }
        }
        held = []
    }

    /// The input ended: what was still being probed is decided now.
    public mutating func end() {
        if headCRC == nil { headCRC = crc }
        guard probing, restart == nil else { return }
        alive = []
        finishProbing(member: lastMember)
    }

    public mutating func memberVerified(_ member: Int) { inner.memberVerified(member) }
    public mutating func skipped(_ damage: InputDamage) { inner.skipped(damage) }
    public mutating func startAt(offset: Int64, line: Int64) { inner.startAt(offset: offset, line: line) }
}
