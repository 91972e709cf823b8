#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A time zone: UTC, a fixed offset (`+02:00`), or a named zone of the system's tz database
/// (`Europe/Berlin`), with its daylight-saving rules.
///
/// It answers two questions: the offset in force at a UTC instant (`offset(atUTC:)`, which
/// gives the report's days: `day(_:)`), and the UTC instant of a local wall-clock time written
/// without an offset (`utc(local:)`). A wall-clock time that happens twice (the hour repeated
/// when clocks go back) is taken at its first occurrence, in daylight-saving time; one that never
/// happens (the hour skipped when clocks go forward) is taken with the offset in force before
/// the change, so `02:30` on the March morning Berlin skips from 02:00 to 03:00 is 01:30 UTC
/// (03:30 CEST), as Python's `zoneinfo` and PostgreSQL do.
public struct Zone: Sendable, Hashable, CustomStringConvertible {
    /// As written: `UTC`, `+02:00`, `Europe/Berlin`.
    public let name: String
    /// Seconds east of UTC, for a fixed offset.
    let fixed: Int
    let rules: ZoneRules?

    public static let utc = Zone(name: "UTC", fixed: 0, rules: nil)

    public var description: String { name }
    public var isUTC: Bool { rules == nil && fixed == 0 }

    public static func == (a: Zone, b: Zone) -> Bool { a.name == b.name && a.fixed == b.fixed }
    public func hash(into h: inout Hasher) { h.combine(name); h.combine(fixed) }

    /// A fixed offset in seconds east of UTC.
    public init(offset seconds: Int) {
        fixed = seconds
        rules = nil
        if seconds == 0 { name = "UTC"; return }
        let a = abs(seconds)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        name = (seconds < 0 ? "-" : "+") + two(a / 3600) + ":" + two(a / 60 % 60)
    }

    private init(name: String, fixed: Int, rules: ZoneRules?) {
        self.name = name
        self.fixed = fixed
        self.rules = rules
    }

    /// Why a zone name could not be used.
    public struct Unknown: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// `UTC` / `Z` / `GMT`, a fixed offset (`+02:00`, `-0500`, `+2`), or an IANA name read from the
    /// tz database (`$TZDIR`, else `/usr/share/zoneinfo`).
    public static func named(_ text: String) throws(Unknown) -> Zone {
        let t = text.trimmingSpaces
        if let off = fixedOffset(t) { return off == 0 && t.uppercased() != "UTC" ? Zone(name: t, fixed: 0, rules: nil) : Zone(offset: off) }
        guard !t.isEmpty, !t.hasPrefix("/"), !t.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }),
              t.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw Unknown(description: "\"\(text)\" is not a time zone: give an IANA name such as Europe/Berlin, a fixed offset such as +02:00, or UTC")
        }
        let dir = getenv("TZDIR").map { String(cString: $0) } ?? "/usr/share/zoneinfo"
        let path = dir + "/" + t
        guard let bytes = readAll(path) else {
            throw Unknown(description: "unknown time zone \"\(t)\": no \(path) (an IANA name such as Europe/Berlin; the tz database comes with the tzdata package)")
        }
        do throws(Unknown) {
            return Zone(name: t, fixed: 0, rules: try ZoneRules(tzif: bytes, name: t))
        } catch {
            throw Unknown(description: "time zone \(t): \(path): \(error)")
        }
    }

    /// `Z`, `UTC`, `GMT`, `+02:00`, `-0500`, `+2`: seconds east of UTC.
    public static func fixedOffset(_ t: String) -> Int? {
        if t == "Z" || t.uppercased() == "UTC" || t.uppercased() == "GMT" { return 0 }
        guard let sign = t.first, sign == "+" || sign == "-" else { return nil }
        let digits = t.dropFirst().filter { $0 != ":" }
        guard digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), [1, 2, 4].contains(digits.count) else { return nil }
        let h = Int(digits.prefix(digits.count == 4 ? 2 : digits.count))!
        let m = digits.count == 4 ? Int(digits.suffix(2))! : 0
        guard h <= 14, m < 60 else { return nil }
        return (sign == "-" ? -1 : 1) * (h * 3600 + m * 60)
    }

    /// Seconds east of UTC in force at a UTC instant (milliseconds).
    @inline(__always) public func offset(atUTC ms: Int64) -> Int {
        guard let rules else { return fixed }
        return Int(rules.offset(atUTC: floorDiv(ms, 1000)))
    }

    /// The UTC instant (milliseconds) of a wall-clock time in this zone, given as milliseconds
    /// since 1970-01-01T00:00 local.
    @inline(__always) public func utc(local ms: Int64) -> Int64 {
        guard let rules else { return ms - Int64(fixed) * 1000 }
        let s = floorDiv(ms, 1000)
        // The offsets in force a day either side: transitions are never closer than that.
        let before = Int64(rules.offset(atUTC: s - 86_400)), after = Int64(rules.offset(atUTC: s + 86_400))
        if before == after { return ms - before * 1000 }
        let first = ms - before * 1000, second = ms - after * 1000
        let firstValid = Int64(rules.offset(atUTC: floorDiv(first, 1000))) == before
        let secondValid = Int64(rules.offset(atUTC: floorDiv(second, 1000))) == after
        if firstValid && secondValid { return min(first, second) } // repeated: the first occurrence
        if firstValid { return first }
        if secondValid { return second }
        return first // skipped: the offset before the change
    }

    /// Days since 1970-01-01 of the local date at a UTC instant (milliseconds).
    @inline(__always) public func day(_ ms: Int64) -> Int64 {
        floorDiv(ms + Int64(offset(atUTC: ms)) * 1000, 86_400_000)
    }


    private static func readAll(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size < 1 << 20 else { return nil }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var got = 0
        while got < out.count {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, $0.count - got) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            got += n
        }
        return out
    }
}

/// A named zone's offsets: the transitions of a TZif file (RFC 8536, version 2 and later, its
/// 64-bit data), then the POSIX TZ rule of its footer for instants after the last transition
/// (`CET-1CEST,M3.5.0,M10.5.0/3`).
final class ZoneRules: Sendable {
    /// UTC seconds of each transition, ascending, and the offset in force from it.
    let transitions: [Int64]
    let offsets: [Int32]
    /// In force before the first transition (local time type 0).
    let initial: Int32
    let footer: PosixRule?

    init(tzif b: [UInt8], name: String) throws(Zone.Unknown) {
        func fail(_ why: String) -> Zone.Unknown { Zone.Unknown(description: why) }
        func be32(_ at: Int) -> Int32 { Int32(bitPattern: UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])) }
        func be64(_ at: Int) -> Int64 { Int64(be32(at)) << 32 | Int64(UInt32(bitPattern: be32(at + 4))) }
        guard b.count >= 44, b[0] == 0x54, b[1] == 0x5A, b[2] == 0x69, b[3] == 0x66 else { throw fail("not a TZif file") }
        guard b[4] >= 0x32 else { throw fail("a version 1 TZif file (no 64-bit data)") }
        // Header counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt.
        func counts(_ at: Int) -> [Int] { (0..<6).map { Int(UInt32(bitPattern: be32(at + 20 + 4 * $0))) } }
        let c1 = counts(0)
        let v1 = c1[3] * 5 + c1[4] * 6 + c1[5] + c1[2] * 8 + c1[1] + c1[0]
        let h2 = 44 + v1
        guard b.count >= h2 + 44, b[h2] == 0x54, b[h2 + 1] == 0x5A else { throw fail("no second (64-bit) header") }
        let c = counts(h2)
        let (timecnt, typecnt, charcnt) = (c[3], c[4], c[5])
        var at = h2 + 44
        let dataEnd = at + timecnt * 9 + typecnt * 6 + charcnt + c[2] * 12 + c[1] + c[0]
        guard typecnt > 0, b.count >= dataEnd else { throw fail("truncated") }
        var times: [Int64] = []
        for i in 0..<timecnt { times.append(be64(at + 8 * i)) }
        at += 8 * timecnt
        let indices = (0..<timecnt).map { Int(b[at + $0]) }
        at += timecnt
        var typeOffsets: [Int32] = []
        for i in 0..<typecnt { typeOffsets.append(be32(at + 6 * i)) }
        guard indices.allSatisfy({ $0 < typecnt }) else { throw fail("a transition to an unknown type") }
        transitions = times
        offsets = indices.map { typeOffsets[$0] }
        initial = typeOffsets[0]
        // Footer: "\n" POSIX-TZ "\n".
        var f = dataEnd
        if f < b.count, b[f] == 10, let end = b[(f + 1)...].firstIndex(of: 10), end > f + 1 {
            f += 1
            footer = try PosixRule(String(decoding: b[f..<end], as: UTF8.self))
        } else {
            footer = nil
        }
    }

    func offset(atUTC s: Int64) -> Int32 {
        if transitions.isEmpty || s < transitions[0] {
            return transitions.isEmpty ? (footer?.offset(atUTC: s) ?? initial) : initial
        }
        if s >= transitions[transitions.count - 1], let footer { return footer.offset(atUTC: s) }
        var lo = 0, hi = transitions.count - 1 // transitions[lo] <= s
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if transitions[mid] <= s { lo = mid } else { hi = mid - 1 }
        }
        return offsets[lo]
    }
}

/// A POSIX TZ rule (`std offset [dst [offset] [,start[/time],end[/time]]]`), as in a TZif footer.
/// Offsets are written west of UTC (`CET-1` is UTC+1); the rules are `Mm.w.d` (day `d` of week `w`,
/// 5 = last, of month `m`), `Jn` (day n of 1–365, no 29 February) or `n` (day 0–365); times may be
/// negative or past 24 hours (version 3).
struct PosixRule: Sendable {
    let std: Int32
    let dst: Int32?
    let start: (rule: DateRule, time: Int32)?
    let end: (rule: DateRule, time: Int32)?

    enum DateRule: Sendable {
        case month(m: Int, week: Int, day: Int)
        case julianNoLeap(Int)
        case zeroBased(Int)
    }

    init(_ text: String) throws(Zone.Unknown) {
        var s = Substring(text)
        func fail() -> Zone.Unknown { Zone.Unknown(description: "cannot read the rule \"\(text)\"") }
        func name() throws(Zone.Unknown) {
            if s.first == "<" {
                guard let e = s.firstIndex(of: ">") else { throw fail() }
                s = s[s.index(after: e)...]
            } else {
                let n = s.prefix { $0.isLetter }
                guard n.count >= 3 else { throw fail() }
                s = s.dropFirst(n.count)
            }
        }
        func time() -> Int32? { // [+-]hh[:mm[:ss]] in seconds
            var sign: Int32 = 1
            if s.first == "+" { s = s.dropFirst() } else if s.first == "-" { sign = -1; s = s.dropFirst() }
            var parts: [Int32] = []
            while parts.count < 3 {
                let d = s.prefix { $0.isASCII && $0.isNumber }
                guard !d.isEmpty, let v = Int32(d) else { break }
                parts.append(v)
                s = s.dropFirst(d.count)
                if s.first == ":" { s = s.dropFirst() } else { break }
            }
            guard !parts.isEmpty else { return nil }
            return sign * (parts[0] * 3600 + (parts.count > 1 ? parts[1] * 60 : 0) + (parts.count > 2 ? parts[2] : 0))
        }
        try name()
        guard let stdWest = time() else { throw fail() }
        std = -stdWest
        if s.isEmpty || s.first == "," {
            dst = nil
            start = nil
            end = nil
            return
        }
        try name()
        if let w = s.first, w != "," { guard let dstWest = time() else { throw fail() }; dst = -dstWest } else { dst = std + 3600 }
        func rule() throws(Zone.Unknown) -> (DateRule, Int32) {
            guard s.first == "," else { throw fail() }
            s = s.dropFirst()
            let r: DateRule
            if s.first == "M" {
                s = s.dropFirst()
                let f = s.prefix { $0 != "/" && $0 != "," }.split(separator: ".").compactMap { Int($0) }
                guard f.count == 3, (1...12).contains(f[0]), (1...5).contains(f[1]), (0...6).contains(f[2]) else { throw fail() }
                s = s.dropFirst(s.prefix { $0 != "/" && $0 != "," }.count)
                r = .month(m: f[0], week: f[1], day: f[2])
            } else {
                let julian = s.first == "J"
                if julian { s = s.dropFirst() }
                let d = s.prefix { $0.isASCII && $0.isNumber }
                guard let n = Int(d) else { throw fail() }
                s = s.dropFirst(d.count)
                r = julian ? .julianNoLeap(n) : .zeroBased(n)
            }
            var t: Int32 = 7200
            if s.first == "/" {
                s = s.dropFirst()
                guard let v = time() else { throw fail() }
                t = v
            }
            return (r, t)
        }
        if s.isEmpty { // no rule given: POSIX's default is the US rule of 2007
            start = (.month(m: 3, week: 2, day: 0), 7200)
            end = (.month(m: 11, week: 1, day: 0), 7200)
            return
        }
        let a = try rule(), b = try rule()
        start = a
        end = b
        guard s.isEmpty else { throw fail() }
    }

    func offset(atUTC t: Int64) -> Int32 {
        guard let dst, let start, let end else { return std }
        let year = Timestamp.civilFromDays(floorDiv(t + Int64(std), 86_400)).year
        let on = Self.instant(start.rule, year) + Int64(start.time) - Int64(std)  // given in local standard time
        let off = Self.instant(end.rule, year) + Int64(end.time) - Int64(dst)    // given in local daylight time
        if on < off { return t >= on && t < off ? dst : std }
        return t >= off && t < on ? std : dst // southern hemisphere: daylight time spans New Year
    }

    /// Seconds since 1970 of local midnight starting the rule's day in `year`.
    static func instant(_ r: DateRule, _ year: Int) -> Int64 {
        let jan1 = Timestamp.daysFromCivil(year: year, month: 1, day: 1)
        let day: Int64
        switch r {
        case .zeroBased(let n): day = jan1 + Int64(n)
        case .julianNoLeap(let n):
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            day = jan1 + Int64(n - 1) + (leap && n >= 60 ? 1 : 0)
        case .month(let m, let w, let d):
            let first = Timestamp.daysFromCivil(year: year, month: m, day: 1)
            let weekday = Int(((first + 4) % 7 + 7) % 7) // 1970-01-01 was a Thursday (4)
            var dom = 1 + (d - weekday + 7) % 7 + (w - 1) * 7
            let next = m == 12 ? Timestamp.daysFromCivil(year: year + 1, month: 1, day: 1) : Timestamp.daysFromCivil(year: year, month: m + 1, day: 1)
            let length = Int(next - first)
            while dom > length { dom -= 7 }
            day = first + Int64(dom - 1)
        }
        return day * 86_400
    }

}

/// `a / b` rounded down (`b` > 0), so instants before 1970 fall on the right second and day.
@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return a % b < 0 ? q - 1 : q
}
