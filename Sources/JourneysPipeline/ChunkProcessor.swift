import Foundation
import JourneysCore
import JourneysIO
import JourneysReaders

/// A rejected line, kept with its origin, reason and raw bytes (capped).
public struct RejectRecord: Sendable, Hashable {
    public var origin: Origin
    public var reason: RejectReason
    public var detail: String
    /// The line's first bytes (at most `ChunkProcessor.rawLimit`).
    public var raw: [UInt8]
    /// The line's full length in bytes.
    public var length: Int64
    /// True for one rejected event of a line that also gave touchpoints: written to the rejects,
    /// counted as a rejected event, while the line counts as a touchpoint line.
    public var eventOnly = false
    /// True for a line's rejected events after its first: the line's raw text is kept once, with
    /// the first, and `raw` is empty here (so a line of many bad events is not copied per event).
    public var rawShared = false
    /// How many rejected events this entry stands for: 1, or for the entry that counts a line's
    /// rejected events of one reason past `TouchpointBuffer.eventRejectLimit`, their number.
    public var events: Int64 = 1
}

/// Per-reason counts of skipped lines.
public struct SkipCounts: Sendable, Hashable {
    public private(set) var counts = [Int64](repeating: 0, count: SkipReason.allCases.count)
    public init() {}
    public subscript(reason: SkipReason) -> Int64 {
        get { counts[SkipReason.allCases.firstIndex(of: reason)!] }
        set { counts[SkipReason.allCases.firstIndex(of: reason)!] = newValue }
    }
    public var total: Int64 { counts.reduce(0, +) }
    public mutating func add(_ o: SkipCounts) { for i in counts.indices { counts[i] += o.counts[i] } }
    public mutating func subtract(_ o: SkipCounts) { for i in counts.indices { counts[i] -= o.counts[i] } }
}

/// What one chunk of lines became.
public struct ChunkResult: Sendable {
    public var input: Int32
    public var sequence: Int
    /// The chunk's touchpoints, as columns.
    public var batch = TouchpointBuffer()
    public var rejects: [RejectRecord] = []
    public var skips = SkipCounts()
    public var lines: Int64 = 0
    /// Lines that produced at least one touchpoint.
    public var touchpointLines: Int64 = 0
    /// Records ignored on purpose within lines that gave touchpoints.
    public var ignoredEvents: Int64 = 0
    /// The gzip member of the chunk's last byte.
    public var lastMember: Int = 0

    /// The chunk's touchpoints as whole values (tests; `journeys events` writes from `batch`).
    public var touchpoints: [Touchpoint] { batch.touchpoints }
}

/// Runs a reader over the lines of a chunk, applying the checks every format shares.
///
/// Shared line policy (the same for every reader): a UTF-8 byte-order mark at the start of an
/// input is dropped; an empty or white-space line is a counted `blank` skip; a line with
/// invalid UTF-8 is rejected `invalid_utf8` and one with a NUL byte `malformed` (never repaired);
/// an over-long line is rejected `line_too_long`; a record dated more than a day after the
/// process started (`notAfter`) is rejected `bad_timestamp` (a clock gone wrong or a mangled
/// year would otherwise stretch every journey and daily report). Everything else is the
/// reader's to judge. A line that gives several touchpoints (a SendGrid webhook array) is
/// checked touchpoint by touchpoint: a late one is a rejected event, and the line is rejected
/// only when none is left.
public enum ChunkProcessor {
    /// Raw text kept per reject.
    public static let rawLimit = 64 * 1024
    /// Latest accepted touchpoint time: one day after the process started (UTC milliseconds).
    public static let notAfter: Int64 = Int64((Date().timeIntervalSince1970 * 1000).rounded()) + 86_400_000

    public static func process<R: LogReader>(_ chunk: LineChunk, reader: inout R) -> ChunkResult {
        var result = ChunkResult(input: chunk.input, sequence: chunk.sequence)
        result.lastMember = chunk.lastMember
        var buffer = TouchpointBuffer()
        if let over = chunk.oversize {
            result.lines = 1
            result.rejects.append(RejectRecord(origin: Origin(input: chunk.input, line: chunk.firstLine, offset: chunk.baseOffset),
                                               reason: .lineTooLong, detail: "line of \(over.length) bytes is over the limit",
                                               raw: Array(chunk.bytes.prefix(rawLimit)), length: over.length))
            return result
        }
        buffer.reserveCapacity(rows: chunk.bytes.count / 160) // log lines are rarely shorter on average
        chunk.forEachLine { raw, lineNo, offset in
            result.lines += 1
            var line = raw
            if lineNo == 1, line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
                line = UnsafeBufferPointer(rebasing: line[3...])
            }
            let origin = Origin(input: chunk.input, line: lineNo, offset: offset)
            func reject(_ reason: RejectReason, _ detail: String) {
                result.rejects.append(RejectRecord(origin: origin, reason: reason, detail: detail,
                                                   raw: Array(raw.prefix(rawLimit)), length: Int64(raw.count)))
            }
            defer { buffer.clearEventRejects() }
            switch LineCheck.check(line) {
            case .blank: result.skips[.blank] += 1; return
            case .invalidUTF8(let at): reject(.invalidUTF8, "invalid UTF-8 at byte \(at + 1) of the line"); return
            case .nul(let at): reject(.malformed, "NUL byte at byte \(at + 1) of the line"); return
            case .ok: break
            }
            let before = buffer.count
            switch reader.read(line, origin: origin, into: &buffer) {
            case .emitted:
                precondition(buffer.count > before, "\(R.format) reader said it emitted but did not")
                if buffer.columns.time[before...].contains(where: { $0 > notAfter }), let detail = dropLate(&buffer, from: before) {
                    reject(.badTimestamp, detail)
                    return
                }
                result.touchpointLines += 1
                result.ignoredEvents += buffer.ignoredEvents
                if !buffer.eventRejects.isEmpty {
                    appendEventRejects(buffer.eventRejects, more: buffer.moreEventRejects, origin: origin, line: raw, to: &result.rejects)
                }
            case .skipped(let why):
                buffer.truncate(to: before)
                result.skips[why] += 1
            case .rejected(let why, let detail):
                buffer.truncate(to: before)
                reject(why, detail)
            }
        }
        result.batch = buffer
        return result
    }

    /// Takes the touchpoints of a line (those from `start` on) dated after `notAfter` out of the
    /// buffer, each a rejected event `bad_timestamp`. Returns the line's reject detail when none
    /// of its touchpoints is left, else nil.
    static func dropLate(_ buffer: inout TouchpointBuffer, from start: Int) -> String? {
        let n = buffer.count - start
        func detail(_ k: Int, _ time: Int64) -> String {
            (n > 1 ? "touchpoint \(k - start + 1) of \(n): " : "") + "time \(Timestamp.iso(time)) is more than a day after the run started"
        }
        var firstLate: String?
        var kept = 0
        for k in start..<buffer.count {
            let time = buffer.columns.time[k]
            if time > notAfter {
                if firstLate == nil { firstLate = detail(k, time) }
                buffer.rejectEvent(.badTimestamp, detail(k, time))
            } else {
                kept += 1
            }
        }
        let times = buffer.columns.time
        buffer.filter(from: start) { times[$0] <= notAfter }
        guard kept == 0, let firstLate else { return nil }
        return firstLate + (n > 1 ? " (every touchpoint of the line was)" : "")
    }

    /// Appends the rejected events of a line that gave touchpoints (`eventOnly`). Memory and
    /// output stay bounded by the line's size: only the first carries the line's raw text (the
    /// others are `rawShared`), and the events past `TouchpointBuffer.eventRejectLimit` are one
    /// entry per reason with their number (`events`).
    static func appendEventRejects(_ eventRejects: [EventReject], more: [RejectReason: Int64], origin: Origin,
                                   line: UnsafeBufferPointer<UInt8>, to rejects: inout [RejectRecord]) {
        guard !eventRejects.isEmpty else { return }
        var r = RejectRecord(origin: origin, reason: .malformed, detail: "", raw: Array(line.prefix(rawLimit)),
                             length: Int64(line.count), eventOnly: true)
        for e in eventRejects {
            r.reason = e.reason
            r.detail = e.detail
            rejects.append(r)
            r.raw = []
            r.rawShared = true
        }
        for (reason, n) in more.sorted(by: { $0.key < $1.key }) {
            r.reason = reason
            r.detail = "\(n) more rejected event\(n == 1 ? "" : "s") of this line, not listed one by one"
            r.events = n
            rejects.append(r)
        }
    }

    /// `process` for an existential reader.
    public static func process(_ chunk: LineChunk, anyReader reader: inout any LogReader) -> ChunkResult {
        func run<R: LogReader>(_ r: inout R) -> ChunkResult { process(chunk, reader: &r) }
        return run(&reader)
    }
}

/// Byte-level checks shared by all readers.
public enum LineCheck {
    public enum Outcome: Equatable { case ok, blank, invalidUTF8(Int), nul(Int) }

    /// Blank, NUL and UTF-8 checks, eight bytes at a time for the common all-ASCII line.
    @inlinable
    public static func check(_ b: UnsafeBufferPointer<UInt8>) -> Outcome {
        let n = b.count
        guard let base = b.baseAddress else { return .blank }
        var blank = true
        var i = 0
        while i < n, blank {
            let c = base[i]
            if c != 32, c != 9, c != 13 { blank = false } else { i += 1 }
        }
        if blank { return .blank }
        // Word-at-a-time: a word has a high bit set when non-ASCII, and a zero byte when NUL.
        var ascii = true
        let raw = UnsafeRawPointer(base)
        let lows: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        i = 0
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if w & highs != 0 { ascii = false }
            if (w &- lows) & ~w & highs != 0 { break } // a zero byte may be here: look byte by byte
            i += 8
        }
        while i < n {
            let c = base[i]
            if c == 0 { return .nul(i) }
            if c >= 0x80 { ascii = false }
            i += 1
        }
        if ascii { return .ok }
        if let bad = firstInvalidUTF8(b) { return .invalidUTF8(bad) }
        return .ok
    }

    /// Index of the first byte that is not part of valid UTF-8 (RFC 3629: no overlongs,
    /// no surrogates, nothing above U+10FFFF), or nil.
    public static func firstInvalidUTF8(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            var need = 0
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return i
            }
            guard i + need < n else { return i }
            let c1 = b[i + 1]
            guard c1 >= lo, c1 <= hi else { return i }
            for k in 2...max(2, need) where k <= need {
                guard b[i + k] & 0xC0 == 0x80 else { return i }
            }
            i += need + 1
        }
        return nil
    }
}
