import JourneysCore

/// Output formats of a report table.
public enum TableFormat: String, Sendable, CaseIterable {
    case csv, json

    public var fileExtension: String { rawValue }
}

/// Writes rows one at a time as `CSVWriter` or `JSONWriter` writes a whole table: `begin`, `row`
/// for each row, `end` (so rows can be written as they are made, without a `Table`).
struct TableStream {
    let format: TableFormat
    let columns: [String]
    let bom: Bool
    /// JSON: the quoted column names, each followed by `:`.
    private let keys: [[UInt8]]
    private var rows = 0

    init(format: TableFormat, columns: [String], bom: Bool = true) {
        self.format = format
        self.columns = columns
        self.bom = bom
        keys = format == .json ? columns.map { name in
            var k: [UInt8] = []
            JSONText.appendString(name, to: &k)
            k.append(58)
            return k
        } : []
    }

    func begin(to o: inout [UInt8]) {
        switch format {
        case .csv:
            if bom { o.append(contentsOf: CSVText.bom) }
            CSVText.appendHeader(columns, to: &o)
        case .json: o.append(91)
        }
    }

    mutating func row(_ cells: [Cell], to o: inout [UInt8]) {
        switch format {
        case .csv: CSVWriter.appendRow(cells, to: &o)
        case .json:
            o.append(contentsOf: rows == 0 ? [10] : [44, 10])
            JSONWriter.appendObject(keys: keys, cells: cells, to: &o)
        }
        rows += 1
    }

    func end(to o: inout [UInt8]) {
        if format == .json { o.append(contentsOf: rows == 0 ? [93, 10] : [10, 93, 10]) }
    }

    /// Writes all of `table`, handing the bytes to `sink` in pieces of about `chunk` bytes.
    func encode(_ table: Table, chunk: Int, sink: (inout [UInt8]) throws -> Void) rethrows {
        var stream = self
        var o: [UInt8] = []
        o.reserveCapacity(min(chunk, 64 + table.count * 16 * table.columns.count) + 4096)
        begin(to: &o)
        for i in 0..<table.count {
            stream.row(table[i], to: &o)
            if o.count >= chunk { try sink(&o) }
        }
        stream.end(to: &o)
        try sink(&o)
    }
}

/// Writes a `Table` as RFC 4180 CSV for spreadsheets.
///
/// UTF-8 with a byte-order mark unless `bom: false` (LibreOffice garbles UTF-8 without it),
/// CRLF line ends, a header row, `.` decimals. Text cells that start like a formula and
/// identifiers that a spreadsheet would turn into numbers get a leading `'` (see `Cell`); number
/// cells are written bare so they stay numbers (`-5`, `1000`). A table without rows is its
/// header only.
public enum CSVWriter {
    public static func encode(_ table: Table, bom: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        encode(table, bom: bom) { out.append(contentsOf: $0); $0.removeAll(keepingCapacity: true) }
        return out
    }

    /// Encodes `table`, handing the bytes to `sink` in pieces of about `chunk` bytes (the sink
    /// consumes and may empty the buffer).
    public static func encode(_ table: Table, bom: Bool = true, chunk: Int = 1 << 20,
                              sink: (inout [UInt8]) throws -> Void) rethrows {
        try TableStream(format: .csv, columns: table.columns, bom: bom).encode(table, chunk: chunk, sink: sink)
    }

    public static func appendRow(_ cells: [Cell], to o: inout [UInt8]) {
        for (i, cell) in cells.enumerated() {
            if i > 0 { o.append(44) }
            guard let s = cell.formatted else { continue }
            switch cell {
            case .text: CSVText.appendField(s, neutralise: true, to: &o)
            case .identifier: CSVText.appendField(s, neutralise: true, forceText: CSVText.looksNumeric(s), to: &o)
            default: CSVText.appendField(s, neutralise: false, to: &o)
            }
        }
        o.append(13)
        o.append(10)
    }
}

/// Writes a `Table` as a JSON array of objects, one object per line, keys in column order.
///
/// No byte-order mark; numbers are JSON numbers (decimals with their fixed places, `12.50`),
/// booleans are `true` / `false`, times and days are ISO-8601 strings, empty cells are `null`.
/// Text is written as it is (neutralising is a spreadsheet concern, not JSON's). A table
/// without rows is `[]`.
public enum JSONWriter {
    public static func encode(_ table: Table) -> [UInt8] {
        var out: [UInt8] = []
        encode(table) { out.append(contentsOf: $0); $0.removeAll(keepingCapacity: true) }
        return out
    }

    public static func encode(_ table: Table, chunk: Int = 1 << 20, sink: (inout [UInt8]) throws -> Void) rethrows {
        try TableStream(format: .json, columns: table.columns).encode(table, chunk: chunk, sink: sink)
    }

    /// Appends `{"key":value,…}`; `keys` are the JSON-quoted column names each followed by `:`.
    static func appendObject(keys: [[UInt8]], cells: [Cell], to o: inout [UInt8]) {
        o.append(123)
        for (i, cell) in cells.enumerated() {
            if i > 0 { o.append(44) }
            o.append(contentsOf: keys[i])
            appendValue(cell, to: &o)
        }
        o.append(125)
    }

    static func appendValue(_ cell: Cell, to o: inout [UInt8]) {
        guard let s = cell.formatted else { o.append(contentsOf: "null".utf8); return }
        switch cell {
        case .integer, .decimal, .fixed, .number, .bool: o.append(contentsOf: s.utf8)
        default: JSONText.appendString(s, to: &o)
        }
    }

    /// The cells of `table` row `i` as a JSON object value (for summary.json).
    static func object(_ table: Table, row i: Int) -> JSONValueOut {
        .object(zip(table.columns, table[i]).map { name, cell in
            var v: [UInt8] = []
            appendValue(cell, to: &v)
            return (name, .raw(String(decoding: v, as: UTF8.self)))
        })
    }
}

/// A JSON value to write, with keys kept in the order given (pretty-printed by `encode`).
indirect enum JSONValueOut {
    case object([(String, JSONValueOut)])
    case array([JSONValueOut])
    case string(String)
    /// Already-encoded JSON (a number, `true`, `null`).
    case raw(String)

    static func int<T: BinaryInteger>(_ v: T) -> JSONValueOut { .raw(String(v)) }

    /// Two-space indented JSON; an object whose values are all scalars stays on one line.
    func encode(indent: Int = 0, to o: inout [UInt8]) {
        switch self {
        case .string(let s): JSONText.appendString(s, to: &o)
        case .raw(let s): o.append(contentsOf: s.utf8)
        case .array(let items):
            if items.isEmpty { o.append(contentsOf: "[]".utf8); return }
            o.append(91)
            for (i, item) in items.enumerated() {
                if i > 0 { o.append(44) }
                newline(indent + 1, &o)
                item.encode(indent: indent + 1, to: &o)
            }
            newline(indent, &o)
            o.append(93)
        case .object(let members):
            if members.isEmpty { o.append(contentsOf: "{}".utf8); return }
            let flat = members.allSatisfy { if case .object = $0.1 { false } else if case .array = $0.1 { false } else { true } }
            o.append(123)
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { o.append(44) }
                if flat { if i > 0 { o.append(32) } } else { newline(indent + 1, &o) }
                JSONText.appendString(k, to: &o)
                o.append(58); o.append(32)
                v.encode(indent: indent + 1, to: &o)
            }
            if !flat { newline(indent, &o) }
            o.append(125)
        }
    }

    private func newline(_ level: Int, _ o: inout [UInt8]) {
        o.append(10)
        o.append(contentsOf: repeatElement(32, count: 2 * level))
    }
}
