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

/// Content read on an earlier night, as a candidate for an input: a prefix that may be left out
/// of a longer input (a log that grew), or, with `wholeOnly`, only the whole input (content that
/// ends inside a line, whose rest would be read as a line of its own; the inputs of readers
/// that take a header from their first lines, CSV and W3C, which a skipped prefix would hide).
public struct KnownContent: Sendable, Hashable {
    public var fingerprint: ContentFingerprint
    public var wholeOnly: Bool
    public init(_ fingerprint: ContentFingerprint, wholeOnly: Bool) {
        self.fingerprint = fingerprint
        self.wholeOnly = wholeOnly
    }
}

/// Sits between a `ByteStreamDecoder` and a `LineChunker` and leaves out a prefix of the input
/// that was read before (a `KnownContent` it matches), fingerprinting the input on the way: the
/// whole of it, and (`lineEnd`) the part up to its last newline.
///
/// **Probing.** Given the candidates, the gate holds the input back while it could still be one
/// of them: the first 64 KiB in memory (the bytes with their gzip member, and the decoder's
/// other events in their order), then (once a head matched) nothing is kept until the
/// candidate's length, where its CRC decides. The longest candidate that matches is the prefix
/// left out (a `wholeOnly` one only if the input ends there); lines then count on from its last
/// line and offsets from its length, and what was held after it is replayed as it came. When a
/// head matched but the rest did not (the same first 64 KiB, other content after), the bytes
/// held back are gone: `restart` says what to leave out when the caller rewinds and reads again
/// (a regular file; standard input and pipes are first copied to one).
public struct ContentGate<Inner: DecodedBytesConsumer>: DecodedBytesConsumer {
    public var inner: Inner
    /// Candidates by length; those before `next` are decided (each is decided at its length,
    /// and those longer than the head once at the head's end), so a night with thousands of
    /// known inputs costs a sort, not a scan per byte range.
    private var alive: [KnownContent]
    private var next = 0
    private var headChecked = false
    /// The longest candidate matched so far, and a whole-only one that matches if the input ends here.
    public private(set) var matched: ContentFingerprint?
    private var wholeAt: ContentFingerprint?
    /// Decoded bytes seen so far, and their CRC-32.
    public private(set) var seen: Int64 = 0
    private var crc = UInt32(crc32(0, nil, 0))
    private var headCRC: UInt32?
    /// Where the last newline seen ends, and the CRC-32 up to there.
    private var lineEndLength: Int64 = 0
    private var lineEndCRC = UInt32(crc32(0, nil, 0))
    /// What came while probing, in order, up to the head length.
    private enum Held { case bytes([UInt8], member: Int), verified(Int), skipped(InputDamage) }
    private var held: [Held] = []
    private var heldBytes: Int64 = 0
    /// Bytes past the head were seen while probing and not kept.
    private var dropped = false
    private var probing: Bool
    /// Bytes left out before forwarding starts (a known prefix), when not probing.
    private var skip: Int64
    /// Set when the input must be read again, leaving out this prefix (nil: nothing).
    public private(set) var restart: ContentFingerprint??
    private var lastMember = 0
    /// Candidates the input's gzip trailer vouches for (the CRC-32 and length of the whole
    /// content match): once the head matches one, the input is that content, read no further.
    private let whole: [ContentFingerprint]
    /// Set when the input was recognised from its head and trailer; reading can stop.
    public let stop = StopFlag()

    /// `known`: content read before. `skip`: a prefix already matched (when reading again after
    /// a `restart`): left out without probing.
    public init(_ inner: Inner, known: [KnownContent], skip: ContentFingerprint? = nil, whole: [ContentFingerprint] = []) {
        self.inner = inner
        self.whole = whole
        alive = skip == nil ? known.filter { $0.fingerprint.length > 0 }.sorted { $0.fingerprint.length < $1.fingerprint.length } : []
        matched = skip
        self.skip = skip?.length ?? 0
        probing = !alive.isEmpty
        if let skip { self.inner.startAt(offset: skip.length, line: skip.lines + 1) }
    }

    /// The fingerprint of everything seen (call at the end; `lines` is the chunker's count).
    public func fingerprint(lines: Int64) -> ContentFingerprint {
        ContentFingerprint(length: seen, crc: crc, headCRC: headCRC ?? crc, lines: lines)
    }

    /// The fingerprint of what was seen up to the last newline (nil when there was none).
    public func lineEnd(lines: Int64) -> ContentFingerprint? {
        guard lineEndLength > 0 else { return nil }
        if lineEndLength == seen { return fingerprint(lines: lines) }
        return ContentFingerprint(length: lineEndLength, crc: lineEndCRC,
                                  headCRC: lineEndLength >= ContentFingerprint.headLength ? headCRC ?? crc : lineEndCRC, lines: lines - 1)
    }

    public mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, member: Int) {
        lastMember = member
        guard restart == nil, !stop.isSet else { return }
        var rest = bytes
        while !rest.isEmpty, restart == nil, !stop.isSet {
            // Up to the next place where something is decided: the head's end, a candidate's
            // head or length, the end of the skipped prefix.
            var next = seen + Int64(rest.count)
            if headCRC == nil { next = min(next, ContentFingerprint.headLength) }
            if probing, self.next < alive.count {
                next = min(next, alive[self.next].fingerprint.length) // the head's end is a stop anyway
            } else if !probing, seen < skip {
                next = min(next, skip)
            }
            let n = Int(next - seen)
            let part = UnsafeBufferPointer(rebasing: rest[..<n])
            rest = UnsafeBufferPointer(rebasing: rest[n...])
            // The CRC, and the CRC up to the part's last newline.
            var k = n // after the part's last newline (0: none), found from the end
            while k > 0, part[k - 1] != 10 { k -= 1 }
            if k > 0 {
                lineEndCRC = UInt32(crc32(uLong(crc), part.baseAddress, uInt(k)))
                lineEndLength = seen + Int64(k)
                crc = UInt32(crc32(uLong(lineEndCRC), part.baseAddress! + k, uInt(n - k)))
            } else {
                crc = UInt32(crc32(uLong(crc), part.baseAddress, uInt(n)))
            }
            let start = seen
            seen = next
            if seen == ContentFingerprint.headLength { headCRC = crc }
            if probing {
                if start < ContentFingerprint.headLength {
                    held.append(.bytes(Array(part), member: member))
                    heldBytes += Int64(n)
                } else {
                    dropped = true
                }
                decide()
            } else if start >= skip {
                inner.consume(part, member: member)
            }
        }
    }

    /// After `seen` moved: drops candidates that no longer match, and stops probing when none
    /// is left that could still match longer.
    private mutating func decide() {
        if let w = wholeAt, seen > w.length { wholeAt = nil } // the input goes on: not that whole content
        if seen == ContentFingerprint.headLength, !headChecked {
            // The longer candidates' heads, once.
            headChecked = true
            alive = alive[next...].filter { $0.fingerprint.length <= seen || $0.fingerprint.headCRC == crc }
            next = 0
        }
        while next < alive.count, alive[next].fingerprint.length == seen {
            let k = alive[next]
            if k.fingerprint.crc == crc { if k.wholeOnly { wholeAt = k.fingerprint } else { matched = k.fingerprint } }
            next += 1
        }
        // A head that matched content the gzip trailer vouches for: that content, whole.
        if seen == ContentFingerprint.headLength, !whole.isEmpty,
           let k = alive[next...].first(where: { $0.fingerprint.length > seen && whole.contains($0.fingerprint) }) {
            let c = k.fingerprint
            matched = c
            probing = false
            held = []
            alive = []
            next = 0
            seen = c.length
            crc = c.crc
            lineEndLength = 0
            inner.startAt(offset: c.length, line: c.lines + 1)
            stop.set()
            return
        }
        // Still possible: a longer candidate, or a whole-only one if the input ends right here.
        if next < alive.count || wholeAt != nil { return }
        finishProbing()
    }

    private mutating func finishProbing() {
        probing = false
        let from = matched?.length ?? 0
        if dropped, seen > from {
            // Bytes after the match were not kept: read again, leaving out only the match.
            restart = .some(matched)
            held = []
            return
        }
        skip = from
        if let m = matched { inner.startAt(offset: m.length, line: m.lines + 1) }
        // Replay what was held after the match, in the order it came.
        var at: Int64 = 0
        for h in held {
            switch h {
            case .bytes(let b, let member):
                let end = at + Int64(b.count)
                if end > from {
                    let cut = Int(max(0, from - at))
                    b.withUnsafeBufferPointer { inner.consume(UnsafeBufferPointer(rebasing: $0[cut...]), member: member) }
                }
                at = end
            case .verified(let m): inner.memberVerified(m)
            case .skipped(let d): inner.skipped(d)
            }
        }
        held = []
    }

    /// The input ended: what was still being probed is decided now.
    public mutating func end() {
        if headCRC == nil { headCRC = crc }
        guard probing, restart == nil, !stop.isSet else { return }
        if let w = wholeAt, w.length == seen { matched = w }
        alive = []
        next = 0
        finishProbing()
    }

    public mutating func memberVerified(_ member: Int) {
        if probing, !dropped { held.append(.verified(member)) } else if !probing { inner.memberVerified(member) }
    }

    public mutating func skipped(_ damage: InputDamage) {
        if probing, !dropped { held.append(.skipped(damage)) } else if !probing { inner.skipped(damage) }
    }

    public mutating func startAt(offset: Int64, line: Int64) { inner.startAt(offset: offset, line: line) }
}

/// A flag a gate sets and the reading loop looks at (the gate itself is being written to then).
public final class StopFlag: @unchecked Sendable {
    public private(set) var isSet = false
    public init() {}
    public func set() { isSet = true }
}
