import JourneysCore

/// One typed cell of a report table; `nil` payloads are empty cells (`null` in JSON).
///
/// The type decides how a value is written: CSV writes text and identifiers spreadsheet-safe,
/// numbers with `.` decimals and a fixed number of places, times as ISO-8601 UTC; JSON writes
/// numbers as numbers and everything else as strings.
public enum Cell: Sendable, Equatable {
    /// Free text, possibly from a log: neutralised in CSV when it starts like a formula.
    case text(String?)
    /// An id (person, customer): always text. In CSV it also gets a leading `'` when a
    /// spreadsheet would read it as a number or date (`007`, a 20-digit id, `1/2`), so leading
    /// zeros and digits beyond the 15th survive.
    case identifier(String?)
    case integer(Int?)
    /// A decimal with a fixed number of places (money 2, rates 4, hours 2); rounded half away
    /// from zero on the shortest decimal form of the value.
    case decimal(Double?, places: Int)
    /// An exact decimal: whole units of 10^−places (money in cents), written as they are.
    case fixed(Int128?, places: Int)
    /// A number as logged (a survey score), in its shortest form: `9`, `8.5`.
    case number(Double?)
    /// UTC milliseconds, written ISO-8601: `2026-10-10T14:30:00.000Z`.
    case timestamp(Int64?)
    /// UTC milliseconds, written as the UTC day: `2026-10-10`.
    case date(Int64?)
    case bool(Bool?)

    /// Money, in cents: 2 places.
    public static func money(_ cents: Int128?) -> Cell { .fixed(cents, places: 2) }
    /// A rate or share (0–1): 4 places.
    public static func rate(_ v: Double?) -> Cell { .decimal(v, places: 4) }
    /// A duration in hours: 2 places.
    public static func hours(_ v: Double?) -> Cell { .decimal(v, places: 2) }

    /// The value as CSV writes it (before quoting and neutralising), or nil for an empty cell.
    public var formatted: String? {
        switch self {
        case .text(let s), .identifier(let s): s
        case .integer(let v): v.map { String($0) }
        case .decimal(let v, let places): v.flatMap { Fixed.string($0, places: places) }
        case .fixed(let v, let places): v.map { Fixed.string(units: $0, places: places) }
        case .number(let v): v.flatMap { $0.isFinite ? JSONText.number($0) : nil }
        case .timestamp(let v): v.map { Timestamp.iso($0) }
        case .date(let v): v.map { Fixed.day($0) }
        case .bool(let v): v.map { $0 ? "true" : "false" }
        }
    }
}

/// A report table: column names and typed rows.
///
/// Rows may be produced on demand (`init(columns:count:row:)`) so a table of a million persons
/// is written without holding a million rows of cells; writers ask for each row once, in order.
public struct Table: Sendable {
    public let columns: [String]
    public let count: Int
    private let provider: @Sendable (Int) -> [Cell]

    public init(columns: [String], rows: [[Cell]]) {
        precondition(rows.allSatisfy { $0.count == columns.count }, "every row has one cell per column")
        self.columns = columns
        self.count = rows.count
        self.provider = { rows[$0] }
    }

    /// A table whose row `i` (0 ..< count) is computed when a writer asks for it; `row` must
    /// return one cell per column.
    public init(columns: [String], count: Int, row: @escaping @Sendable (Int) -> [Cell]) {
        self.columns = columns
        self.count = count
        self.provider = row
    }

    public subscript(i: Int) -> [Cell] { provider(i) }

    /// All rows (for tests and small tables).
    public var rows: [[Cell]] { (0..<count).map(provider) }

    /// Row `i` as `column: formatted value` (for tests).
    public func record(_ i: Int) -> [String: String] {
        var r: [String: String] = [:]
        for (c, cell) in zip(columns, self[i]) { r[c] = cell.formatted ?? "" }
        return r
    }
}

/// Fixed-point formatting without Foundation.
public enum Fixed {
    /// `v` with exactly `places` decimals, rounded half away from zero on the shortest decimal
    /// that reads back as `v` (so 0.145 gives 0.15, not the 0.14 that `v * 100` would), without
    /// a `-` when the rounded value is zero; nil for NaN and infinities.
    public static func string(_ v: Double, places: Int) -> String? {
        guard v.isFinite else { return nil }
        var text = Array(v.magnitude.description.utf8) // "12.5", "1e-05", "1.25e+20"
        var exponent = 0
        if let e = text.firstIndex(of: 101) {
            exponent = Int(String(decoding: text[(e + 1)...], as: UTF8.self)) ?? 0
            text.removeSubrange(e...)
        }
        var digits: [UInt8] = []
        var point = text.count
        for (i, c) in text.enumerated() {
            if c == 46 { point = i } else { digits.append(c - 48) }
        }
        point += exponent // digits[0 ..< point] are the integer part
        if point < 0 {
            digits.insert(contentsOf: repeatElement(0, count: -point), at: 0)
            point = 0
        }
        let keep = point + places
        while digits.count <= keep { digits.append(0) }
        var kept = Array(digits[0..<keep])
        if digits[keep] >= 5 {
            var i = kept.count - 1
            while i >= 0 {
                if kept[i] == 9 { kept[i] = 0; i -= 1 } else { kept[i] += 1; break }
            }
            if i < 0 { kept.insert(1, at: 0); point += 1 }
        }
        var intPart = kept[0..<point].drop(while: { $0 == 0 })
        if intPart.isEmpty { intPart = [0] }
        let frac = kept[point...]
        let zero = !kept.contains { $0 != 0 }
        var out: [UInt8] = v < 0 && !zero ? [45] : []
        out.append(contentsOf: intPart.map { $0 + 48 })
        if places > 0 {
            out.append(46)
            out.append(contentsOf: frac.map { $0 + 48 })
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `v` in units of 10^−places (`units(12.345, places: 2)` is 1235), rounded as `string` does;
    /// 0 for NaN and infinities. `Int128` holds the units of any finite sum of money the reports
    /// make (see `AttributionReport.apportion`).
    public static func units(_ v: Double, places: Int) -> Int128 {
        guard let s = string(v, places: places) else { return 0 }
        return Int128(String(decoding: s.utf8.filter { $0 != 46 }, as: UTF8.self)) ?? 0
    }

    /// `units` × 10^−places with exactly `places` decimals (`string(units: -5, places: 2)` is `-0.05`).
    public static func string(units: Int128, places: Int) -> String {
        var digits = String(units.magnitude)
        if digits.count <= places { digits = String(repeating: "0", count: places + 1 - digits.count) + digits }
        let sign = units < 0 ? "-" : ""
        guard places > 0 else { return sign + digits }
        let point = digits.index(digits.endIndex, offsetBy: -places)
        return sign + digits[..<point] + "." + digits[point...]
    }

    /// `a / b` rounded half away from zero, as `string` rounds (`b` > 0).
    public static func quotient(_ a: Int128, _ b: Int128) -> Int128 {
        let (q, r) = a.magnitude.quotientAndRemainder(dividingBy: b.magnitude)
        let m = Int128(r >= b.magnitude - r ? q + 1 : q)
        return a < 0 ? -m : m
    }

    /// `a / b` rounded down (towards −∞) and what is left, 0 ≤ rest < `b` (`b` > 0).
    static func floorDivision(_ a: Int128, _ b: Int128) -> (quotient: Int128, rest: Int128) {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    /// The UTC day (`2026-10-10`) of a time in milliseconds.
    public static func day(_ millis: Int64) -> String {
        let (y, m, d) = Timestamp.civilFromDays(dayNumber(millis))
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = String(y)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + "-" + two(m) + "-" + two(d)
    }

    /// Days since 1970-01-01 of a time in milliseconds (floor, so times before 1970 work too).
    public static func dayNumber(_ millis: Int64) -> Int64 {
        let d = millis / 86_400_000
        return millis % 86_400_000 < 0 ? d - 1 : d
    }
}
