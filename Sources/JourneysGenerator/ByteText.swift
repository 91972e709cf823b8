import JourneysCore

/// Appending text and numbers to a byte buffer without building `String`s per field.
extension Array where Element == UInt8 {
    @inline(__always)
    mutating func put(_ s: StaticString) {
        s.withUTF8Buffer { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func put(_ s: String) { append(contentsOf: s.utf8) }

    @inline(__always)
    mutating func put(_ b: [UInt8]) { append(contentsOf: b) }

    /// A non-negative integer in decimal.
    mutating func putInt(_ v: Int) {
        if v < 0 { append(45); putInt(-v); return }
        if v < 10 { append(UInt8(48 + v)); return }
        var p = 10
        while p <= v / 10 { p *= 10 }
        var x = v
        while p > 0 { append(UInt8(48 + x / p)); x %= p; p /= 10 }
    }

    /// An integer padded with zeros to `width` digits.
    mutating func putPadded(_ v: Int, _ width: Int) {
        var p = 1
        for _ in 1..<width { p *= 10 }
        var x = v
        while p > 0 { append(UInt8(48 + (x / p) % 10)); x %= p; p /= 10 }
    }

    /// Cents as a decimal amount with two places: 5990 → `59.90`.
    mutating func putCents(_ cents: Int) {
        putInt(cents / 100)
        append(46)
        putPadded(cents % 100, 2)
    }

    /// Milliseconds as seconds with three places: 1234 → `1.234` (nginx `$request_time`).
    mutating func putMillisAsSeconds(_ ms: Int) {
        putInt(ms / 1000)
        append(46)
        putPadded(ms % 1000, 3)
    }

    /// `count` lower-case hex digits of `v` (most significant first).
    mutating func putHex(_ v: UInt64, _ count: Int) {
        let hex: StaticString = "0123456789abcdef"
        hex.withUTF8Buffer { h in
            for i in stride(from: count - 1, through: 0, by: -1) {
                append(h[Int((v >> (UInt64(i) * 4)) & 15)])
            }
        }
    }

    /// A JSON string literal, quotes included.
    mutating func putJSONString(_ s: String) {
        append(34)
        for c in s.utf8 {
            switch c {
            case 34: append(92); append(34)
            case 92: append(92); append(92)
            case 10: append(92); append(110)
            case 13: append(92); append(114)
            case 9: append(92); append(116)
            case 0..<32:
                put("\\u00"); putHex(UInt64(c), 2)
            default: append(c)
            }
        }
        append(34)
    }
}

/// Local time of the shop's servers: Central European rules (CET +01:00, CEST +02:00 from the
/// last Sunday of March to the last Sunday of October, switching at 01:00 UTC).
///
/// Logs written in local time with a changing offset are what real European servers produce;
/// the readers must apply the offset in each line.
public enum ShopClock {
    static func lastSunday(year: Int, month: Int) -> Int64 {
        let lastDay = Timestamp.daysFromCivil(year: month == 12 ? year + 1 : year, month: month == 12 ? 1 : month + 1, day: 1) - 1
        // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
        let weekday = ((lastDay + 4) % 7 + 7) % 7
        return lastDay - weekday
    }

    /// Seconds east of UTC at a UTC instant (in seconds).
    public static func offset(utc: Int64) -> Int {
        let days = utc >= 0 ? utc / 86_400 : (utc - 86_399) / 86_400
        let year = Timestamp.civilFromDays(days).year
        let start = lastSunday(year: year, month: 3) * 86_400 + 3600
        let end = lastSunday(year: year, month: 10) * 86_400 + 3600
        return utc >= start && utc < end ? 7200 : 3600
    }

    /// The UTC instant of a local wall-clock time (seconds since the epoch as if local were UTC).
    /// In the repeated autumn hour the first (summer-time) instant is taken.
    public static func utc(local: Int64) -> Int64 {
        for off in [7200, 3600] where offset(utc: local - Int64(off)) == off { return local - Int64(off) }
        return local - 3600
    }

    /// The local day number (days since 1970-01-01 in local time) of a UTC instant.
    public static func localDay(utc: Int64) -> Int64 {
        let l = utc + Int64(offset(utc: utc))
        return l >= 0 ? l / 86_400 : (l - 86_399) / 86_400
    }

    static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// nginx `$time_local`: `01/Oct/2026:13:55:36 +0200`.
    static func putTimeLocal(_ utc: Int64, into o: inout [UInt8]) {
        let off = offset(utc: utc)
        let l = utc + Int64(off)
        let days = l / 86_400
        let rem = Int(l % 86_400)
        let (y, m, d) = Timestamp.civilFromDays(days)
        o.putPadded(d, 2); o.append(47); o.put(months[m - 1]); o.append(47); o.putPadded(y, 4); o.append(58)
        o.putPadded(rem / 3600, 2); o.append(58); o.putPadded(rem % 3600 / 60, 2); o.append(58); o.putPadded(rem % 60, 2)
        o.put(off >= 0 ? " +" : " -"); o.putPadded(abs(off) / 3600, 2); o.putPadded(abs(off) % 3600 / 60, 2)
    }

    /// ISO-8601 UTC with a `Z`, seconds precision: `2026-10-01T11:55:36Z`.
    static func putISO(_ utc: Int64, into o: inout [UInt8]) {
        let days = utc / 86_400
        let rem = Int(utc % 86_400)
        let (y, m, d) = Timestamp.civilFromDays(days)
        o.putPadded(y, 4); o.append(45); o.putPadded(m, 2); o.append(45); o.putPadded(d, 2); o.append(84)
        o.putPadded(rem / 3600, 2); o.append(58); o.putPadded(rem % 3600 / 60, 2); o.append(58); o.putPadded(rem % 60, 2)
        o.append(90)
    }

    static func iso(_ utc: Int64) -> String {
        var o: [UInt8] = []
        putISO(utc, into: &o)
        return String(decoding: o, as: UTF8.self)
    }

    /// `YYYY-MM-DD` of a day number.
    static func dateText(day: Int64) -> String {
        let (y, m, d) = Timestamp.civilFromDays(day)
        var o: [UInt8] = []
        o.putPadded(y, 4); o.append(45); o.putPadded(m, 2); o.append(45); o.putPadded(d, 2)
        return String(decoding: o, as: UTF8.self)
    }
}
