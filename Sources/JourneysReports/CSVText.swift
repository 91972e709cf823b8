/// A CSV cell of `appendRow` (the header of `journeys events --csv`): `.raw` for values the
/// program formats itself (numbers, timestamps), `.text` for anything that came from a log and
/// must be made safe for spreadsheets. Report tables use the typed `Cell` instead.
public enum CSVCell: Sendable {
    case raw(String)
    case text(String?)
}

/// RFC 4180 CSV text that is safe to open in a spreadsheet.
///
/// Fields are separated by `,`, rows end with CRLF, a field holding `,`, `"`, CR or LF is
/// quoted with inner quotes doubled. Formula neutralising follows OWASP's CSV-injection advice
/// and what LibreOffice was seen to do (RELIABILITY.md): quoting alone does not stop `"=1+1"`
/// from being evaluated, so a text that starts with `=`, `+`, `-`, `@`, tab, CR or NUL gets a
/// leading `'` — and so does one whose first character after white space is `=`, `+`, `-` or
/// `@` (`" =1+1"`), since LibreOffice's "Trim spaces" import option removes that white space.
public enum CSVText {
    /// UTF-8 byte-order mark: Excel and LibreOffice misread UTF-8 CSV without it.
    public static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Longest cell a spreadsheet holds (Excel and LibreOffice: 32,767 characters, counted in
    /// UTF-16 units); longer text is cut and ends with `…`.
    public static let maxCellUTF16 = 32_767

    public static func appendRow(_ cells: [CSVCell], to o: inout [UInt8]) {
        for (i, c) in cells.enumerated() {
            if i > 0 { o.append(44) }
            switch c {
            case .raw(let s): appendField(s, neutralise: false, to: &o)
            case .text(let s): if let s { appendField(s, neutralise: true, to: &o) }
            }
        }
        o.append(13)
        o.append(10)
    }

    public static func appendHeader(_ names: [String], to o: inout [UInt8]) {
        appendRow(names.map { .raw($0) }, to: &o)
    }

    /// True when a spreadsheet would read this text as a formula: it starts with `=`, `+`, `-`,
    /// `@`, tab, CR or NUL, or has one of the first four after leading white space (ASCII white
    /// space, no-break and other Unicode spaces).
    public static func startsFormula(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let c = u.first else { return false }
        if c == 9 || c == 13 || c == 0 { return true }
        var i = 0
        while i < u.count, let w = leadingSpaceLength(UnsafeBufferPointer(rebasing: u[i...])) { i += w }
        guard i < u.count else { return false }
        let f = u[i]
        return f == 61 || f == 43 || f == 45 || f == 64
    }

    /// The UTF-8 length of the white space character `u` starts with, or nil: ASCII space, tab,
    /// LF, VT, FF, CR, U+00A0, U+1680, U+2000–U+200B, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF.
    static func leadingSpaceLength(_ u: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let a = u.first else { return nil }
        if a == 32 || (a >= 9 && a <= 13) { return 1 }
        guard a >= 0xC2, u.count >= 2 else { return nil }
        let b = u[1]
        if a == 0xC2 { return b == 0xA0 ? 2 : nil }
        guard u.count >= 3 else { return nil }
        let c = u[2]
        switch (a, b) {
        case (0xE1, 0x9A): return c == 0x80 ? 3 : nil
        case (0xE2, 0x80): return c <= 0x8B || c == 0xA8 || c == 0xA9 || c == 0xAF ? 3 : nil
        case (0xE2, 0x81): return c == 0x9F ? 3 : nil
        case (0xE3, 0x80): return c == 0x80 ? 3 : nil
        case (0xEF, 0xBB): return c == 0xBF ? 3 : nil
        default: return nil
        }
    }

    /// Appends one field: quoted when it holds a delimiter, quote or line break; with a leading
    /// `'` when `neutralise` and it starts like a formula, or when `forceText` (an identifier
    /// that a spreadsheet would turn into a number or date).
    public static func appendField(_ s: String, neutralise: Bool, forceText: Bool = false, to o: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendField($0, neutralise: neutralise, forceText: forceText, to: &o) }
    }

    /// `appendField` of UTF-8 bytes; text longer than a cell holds is cut first (`cutLength`).
    public static func appendField(_ u: UnsafeBufferPointer<UInt8>, neutralise: Bool, forceText: Bool = false,
                                   to o: inout [UInt8]) {
        guard u.count > maxCellUTF16, let keep = cutLength(u) else {
            return appendFitting(u, neutralise: neutralise, forceText: forceText, to: &o)
        }
        var cut = Array(u[..<keep])
        cut.append(contentsOf: "…".utf8)
        cut.withUnsafeBufferPointer { appendFitting($0, neutralise: neutralise, forceText: forceText, to: &o) }
    }

    private static func appendFitting(_ u: UnsafeBufferPointer<UInt8>, neutralise: Bool, forceText: Bool, to o: inout [UInt8]) {
        let prefix = forceText || (neutralise && startsFormula(u))
        let needsQuotes = u.contains { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }
        if !needsQuotes && !prefix { o.append(contentsOf: u); return }
        if needsQuotes { o.append(34) }
        if prefix { o.append(39) }
        for c in u {
            if c == 34 { o.append(34) }
            o.append(c)
        }
        if needsQuotes { o.append(34) }
    }

    /// How many bytes of the UTF-8 text `u` fit a spreadsheet cell with the trailing `…` mark
    /// (whole characters, counted in UTF-16 units), or nil when all of `u` fits.
    static func cutLength(_ u: UnsafeBufferPointer<UInt8>) -> Int? {
        // A lead byte starts a character: 4-byte characters take two UTF-16 units.
        func units(_ lead: UInt8) -> Int { lead >= 0xF0 ? 2 : lead & 0xC0 == 0x80 ? 0 : 1 }
        guard u.reduce(0, { $0 + units($1) }) > maxCellUTF16 else { return nil }
        var used = 0, i = 0
        while i < u.count {
            let w = units(u[i])
            if used + w > maxCellUTF16 - 1 { break }
            used += w
            i += 1
            while i < u.count, u[i] & 0xC0 == 0x80 { i += 1 }
        }
        return i
    }

    /// True when a spreadsheet importing this identifier would change it: turn it into a date,
    /// time, percentage, boolean or a number that reads back differently (leading zeros, digits
    /// beyond 15, `1e5`, `1,5`): it has a digit and only digits, spaces and `. , / : - + e E %`,
    /// or it is `true` / `false`. A plain whole number of at most 15 digits without a leading
    /// zero (`1002`) reads back as the same digits, so it needs no protection — and gets none:
    /// LibreOffice keeps a CSV field's leading `'` as a visible character (seen), so marking
    /// every numeric id would show `'1002` to analysts.
    public static func looksNumeric(_ s: String) -> Bool {
        let u = s.utf8
        if !u.isEmpty, u.count <= 15, u.allSatisfy({ $0 &- 48 < 10 }), u.count == 1 || u.first != 48 { return false }
        var digit = false
        for c in s.utf8 {
            switch c {
            case 48...57: digit = true
            case 32, 37, 43, 44, 45, 46, 47, 58, 69, 101: continue
            default:
                let lower = s.lowercased()
                return lower == "true" || lower == "false"
            }
        }
        return digit
    }
}
