/// Timestamp parsing and formatting from bytes, without Foundation's formatters.
///
/// All results are UTC milliseconds since the Unix epoch. Calendar arithmetic uses the
/// proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`), so there is no DST or
/// locale involved: an offset in the text is applied, and text without an offset is taken in
/// the caller's `Zone`.
public enum Timestamp {
    /// Earliest and latest instants accepted (1990-01-01 and 2100-01-01): anything outside is
    /// almost surely a unit mix-up or garbage.
    public static let minMillis: Int64 = 631_152_000_000
    public static let maxMillis: Int64 = 4_102_444_800_000

    /// Days since 1970-01-01 of a civil date.
    @inlinable
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146_097 + doe - 719_468)
    }

    /// The civil date of a day count since 1970-01-01.
    public static func civilFromDays(_ z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    public static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Millis from validated civil fields; nil when a field is out of range.
    @usableFromInline
    static func millis(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, _ ms: Int, offset: Int) -> Int64? {
        guard (1...12).contains(mo), d >= 1, d <= daysInMonth(y, mo), (0...23).contains(h), (0...59).contains(mi),
              (0...60).contains(s) else { return nil }
        let secs = daysFromCivil(year: y, month: mo, day: d) * 86_400 + Int64(h * 3600 + mi * 60 + min(s, 59)) - Int64(offset)
        return secs * 1000 + Int64(ms)
    }

    /// ISO-8601 UTC with milliseconds: `2026-10-10T20:55:36.000Z`.
    public static func iso(_ millis: Int64) -> String {
        var out = [UInt8]()
        out.reserveCapacity(24)
        appendISO(millis, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the ISO-8601 form of `millis` (24 bytes for years 0–9999) without allocating.
    public static func appendISO(_ millis: Int64, to out: inout [UInt8]) {
        var ms = millis % 1000
        var secs = millis / 1000
        if ms < 0 { ms += 1000; secs -= 1 }
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 { rem += 86_400; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        @inline(__always) func two(_ v: Int) { out.append(UInt8(48 + v / 10)); out.append(UInt8(48 + v % 10)) }
        let yy = min(max(y, 0), 9999)
        two(yy / 100); two(yy % 100); out.append(45); two(m); out.append(45); two(d); out.append(84)
        two(Int(rem / 3600)); out.append(58); two(Int(rem % 3600 / 60)); out.append(58); two(Int(rem % 60))
        out.append(46)
        out.append(UInt8(48 + ms / 100)); two(Int(ms % 100))
        out.append(90)
    }

    // MARK: - Parsers

    static let monthNames: [(UInt8, UInt8, UInt8)] = [
        (74, 97, 110), (70, 101, 98), (77, 97, 114), (65, 112, 114), (77, 97, 121), (74, 117, 110),
        (74, 117, 108), (65, 117, 103), (83, 101, 112), (79, 99, 116), (78, 111, 118), (68, 101, 99),
    ]

    @inline(__always)
    static func digits(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ n: Int) -> Int? {
        guard at >= 0, at + n <= b.count else { return nil }
        var v = 0
        for i in at..<(at + n) {
            let c = b[i] &- 48
            guard c < 10 else { return nil }
            v = v * 10 + Int(c)
        }
        return v
    }

    /// Parses a `+hhmm`, `-hh:mm`, `+hh` or `Z` offset starting at `at`; returns seconds east of UTC
    /// and the index after it.
    static func offset(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> (Int, Int)? {
        guard at < b.count else { return nil }
        if b[at] == 90 || b[at] == 122 { return (0, at + 1) } // Z z
        guard b[at] == 43 || b[at] == 45 else { return nil }
        let sign = b[at] == 45 ? -1 : 1
        guard let hh = digits(b, at + 1, 2) else { return nil }
        var i = at + 3
        var mm = 0
        if i < b.count, b[i] == 58 { i += 1 }
        if let m = digits(b, i, 2) { mm = m; i += 2 }
        guard hh <= 23, mm <= 59 else { return nil }
        return (sign * (hh * 3600 + mm * 60), i)
    }

    /// nginx / Apache `$time_local`: `10/Oct/2026:13:55:36 -0700`, with or without the brackets.
    /// `zone`: where a time written without an offset was taken (HAProxy's
    /// `[06/Feb/2009:12:14:14.655]`, in the host's local time).
    public static func parseCommonLog(_ raw: UnsafeBufferPointer<UInt8>, zone: Zone = .utc) -> Int64? {
        var b = raw
        if let f = b.first, f == 91 { b = UnsafeBufferPointer(rebasing: b[1...]) } // [
        if let l = b.last, l == 93 { b = UnsafeBufferPointer(rebasing: b[..<(b.count - 1)]) } // ]
        guard b.count >= 20, let d = digits(b, 0, 2), b[2] == 47, b[6] == 47, let y = digits(b, 7, 4), b[11] == 58,
              let h = digits(b, 12, 2), b[14] == 58, let mi = digits(b, 15, 2), b[17] == 58, let s = digits(b, 18, 2)
        else { return nil }
        let m0 = b[3], m1 = b[4] | 0x20, m2 = b[5] | 0x20
        guard let mIndex = monthNames.firstIndex(where: { $0.0 == (m0 & ~0x20) && ($0.1 | 0x20) == m1 && ($0.2 | 0x20) == m2 })
        else { return nil }
        var i = 20
        var ms = 0
        if i < b.count, b[i] == 46 { // fractional seconds, rare
            i += 1
            var scale = 100
            while i < b.count, b[i] &- 48 < 10 { ms += Int(b[i] - 48) * scale; scale /= 10; i += 1 }
        }
        if i < b.count, b[i] == 32 {
            guard let (o, end) = offset(b, i + 1), end == b.count else { return nil }
            return millis(y, mIndex + 1, d, h, mi, s, ms, offset: o)
        } else if i != b.count { return nil }
        return local(millis(y, mIndex + 1, d, h, mi, s, ms, offset: 0), zone)
    }

    /// ISO-8601 / RFC 3339: `2026-10-10T13:55:36Z`, `2026-10-10 13:55:36.123+02:00`,
    /// `2026-10-10T13:55:36` (a wall-clock time in `zone`), or a bare date `2026-10-10` (its
    /// midnight in `zone`).
    public static func parseISO8601(_ b: UnsafeBufferPointer<UInt8>, zone: Zone = .utc) -> Int64? {
        guard b.count >= 10, let y = digits(b, 0, 4), b[4] == 45, let mo = digits(b, 5, 2), b[7] == 45,
              let d = digits(b, 8, 2) else { return nil }
        if b.count == 10 { return local(millis(y, mo, d, 0, 0, 0, 0, offset: 0), zone) }
        guard b.count >= 16, b[10] == 84 || b[10] == 116 || b[10] == 32, let h = digits(b, 11, 2), b[13] == 58,
              let mi = digits(b, 14, 2) else { return nil }
        var i = 16
        var s = 0
        if i < b.count, b[i] == 58 {
            guard let sv = digits(b, 17, 2) else { return nil }
            s = sv
            i = 19
        }
        var ms = 0
        if i < b.count, b[i] == 46 || b[i] == 44 {
            i += 1
            var scale = 100
            let start = i
            while i < b.count, b[i] &- 48 < 10 { ms += Int(b[i] - 48) * scale; scale /= 10; i += 1 }
            guard i > start else { return nil }
        }
        if i < b.count {
            if b[i] == 32 { i += 1 } // "2026-10-10 13:55:36 +0200"
            guard let (o, end) = offset(b, i), end == b.count else { return nil }
            return millis(y, mo, d, h, mi, s, ms, offset: o)
        }
        return local(millis(y, mo, d, h, mi, s, ms, offset: 0), zone)
    }

    /// A wall-clock time in `zone` (milliseconds as if it were UTC) as a UTC instant.
    @inline(__always) static func local(_ wall: Int64?, _ zone: Zone) -> Int64? {
        guard let wall else { return nil }
        return zone.isUTC ? wall : zone.utc(local: wall)
    }

    /// Epoch time as text: seconds (`1791640536`), milliseconds (`1791640536123`), or float seconds
    /// (`1791640536.123`, nginx `$msec`). Integers of 12 or more digits are taken as milliseconds.
    public static func parseEpoch(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !b.isEmpty else { return nil }
        var i = 0
        var whole: Int64 = 0
        var nd = 0
        while i < b.count, b[i] &- 48 < 10 {
            guard nd < 16 else { return nil }
            whole = whole * 10 + Int64(b[i] - 48)
            i += 1
            nd += 1
        }
        guard nd > 0 else { return nil }
        if i == b.count { return nd >= 12 ? whole : whole * 1000 }
        guard b[i] == 46, nd < 12 else { return nil }
        i += 1
        var ms: Int64 = 0
        var scale: Int64 = 100
        let start = i
        while i < b.count, b[i] &- 48 < 10 { ms += Int64(b[i] - 48) * scale; scale /= 10; i += 1 }
        guard i == b.count, i > start else { return nil }
        return whole * 1000 + ms
    }

    /// Epoch seconds as a JSON number (may be fractional).
    public static func fromEpochNumber(_ v: Double) -> Int64? {
        guard v.isFinite, v >= 0 else { return nil }
        if v >= 1e11 { return millis(v) } // already milliseconds
        return millis(v * 1000)
    }

    /// `v` rounded to whole milliseconds; nil when it is not finite or outside ±2^62 (found by
    /// fuzzing: `"timestamp":1e300` trapped in `Int64(_:)`).
    public static func millis(_ v: Double) -> Int64? {
        guard v.isFinite, abs(v) < 4.6e18 else { return nil }
        return Int64(v.rounded())
    }

    /// Any of the text forms above: ISO-8601, common-log, or epoch.
    public static func parseAny(_ b: UnsafeBufferPointer<UInt8>, zone: Zone = .utc) -> Int64? {
        if b.count >= 10, b[4] == 45 { return parseISO8601(b, zone: zone) }
        if b.count >= 20, b.first == 91 || b[2] == 47 { return parseCommonLog(b, zone: zone) }
        return parseEpoch(b)
    }

    /// `parseAny` over a String.
    public static func parseAny(_ s: String, zone: Zone = .utc) -> Int64? {
        var s = s
        return s.withUTF8 { parseAny($0, zone: zone) }
    }

    /// True when the instant lies in the accepted range.
    @inlinable public static func isPlausible(_ ms: Int64) -> Bool { ms >= minMillis && ms < maxMillis }
}
