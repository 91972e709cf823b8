import JourneysCore

/// Reads a CSV file with a header row through a field map (format `csv`).
///
/// `fields:` maps roles to column names (`|` separates alternatives: the first one the header
/// has is used); names match exactly, else ignoring ASCII case and surrounding spaces. Roles
/// and their meaning are those of the `jsonl` reader (see `GenericRecord`); every touchpoint
/// gets the channel `options.channel`.
///
/// Lines and quoting:
/// - The first line the reader sees (the first non-blank line of the input) is the header. It
///   is a `header` skip when every mapped role finds its column. When an optional role's
///   column is missing, the header line is rejected `malformed` naming the missing columns (so
///   the mistake shows in the rejects) and rows are read with that role empty. When the `time`
///   or `action` column is missing, or the header cannot be split, the header is rejected and
///   so is every following row ("no usable header"): nothing can be read without them.
/// - A later line identical to the header (files concatenated) is a `header` skip.
/// - Fields follow RFC 4180: `delimiter` (default `,`) separates them; a field may be quoted
///   with `"`, and `""` inside quotes is one `"`. Blanks before an opening or after a closing
///   quote are ignored; a `"` inside an unquoted field is kept as it is. Records are read line
///   by line, so a quoted field must close on its line: a line break inside quotes (a record
///   spanning lines) leaves its first line `malformed` ("quoted field not closed") and the
///   continuation line `malformed` too (wrong number of fields).
/// - A row with a different number of fields than the header is `malformed`.
/// - Values are trimmed; an empty value is an absent one.
public struct GenericCSVReader: LogReader {
    public static let format = "csv"

    public static let descriptor = ReaderDescriptor(
        name: format, channel: "any",
        summary: "CSV with a header row (RFC 4180 quoting, one record per line), read through a field map (time and action required)",
        options: "fields (role: column name, `|` alternatives; time and action required): "
            + GenericRole.allCases.map(\.name).joined(separator: ", ")
            + "; delimiter (,); channel (web); time_format (auto); timezone (UTC); text_limit (500); identity.ignore_values",
        make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in try GenericCSVReader(options: o) },
        sniff: nil)

    public var isStateful: Bool { true }

    enum Header {
        case awaiting
        /// The header's bytes and field count, and each role's column index (by `GenericRole.rawValue`).
        case ready(line: [UInt8], count: Int, columns: [Int?])
        /// No row can be read; `why` says what is wrong with the header and on which line.
        case unusable(line: [UInt8], why: String)
    }

    let record: GenericRecord
    let delimiter: UInt8
    /// Each role's alternative column names (empty: unmapped).
    let names: [[String]]
    var header = Header.awaiting
    /// Field spans of the current line, the text of its fields with `""` escapes, a buffer for
    /// the reader (all reused between lines).
    var spans: [CSVSpan] = []
    var unescaped: [UInt8] = []
    var scratch: [UInt8] = []

    /// - Throws: `ConfigError` as for `jsonl`, and for a delimiter that is `"`, CR or LF.
    public init(options: ReaderOptions) throws(ConfigError) {
        let map = try GenericRecord.fieldMap(options, reader: Self.format, noun: "column")
        guard options.delimiter != 34, options.delimiter != 10, options.delimiter != 13 else {
            throw ConfigError("delimiter", "the csv delimiter cannot be a quote or a line break")
        }
        record = try GenericRecord(options: options, names: map.paths, noun: "column")
        if let f = record.valueMap.fields.first {
            throw ConfigError("actions", "the csv reader reads no conditions on other columns (\"\(f)\"); map each value alone")
        }
        if options.records != nil { throw ConfigError("records", "the csv reader has one record per row (records: is for jsonl)") }
        delimiter = options.delimiter
        names = GenericRole.allCases.map { role in
            (map.paths[role.name] ?? "").split(separator: "|").map { String($0).trimmingSpaces }
        }
    }

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        switch header {
        case .awaiting:
            return readHeader(line, origin: origin)
        case .unusable(let headerLine, let why):
            if line.elementsEqual(headerLine) { return .skipped(.header) }
            return .rejected(.malformed, "no usable header: \(why)")
        case .ready(let headerLine, let count, let columns):
            if line.elementsEqual(headerLine) { return .skipped(.header) }
            if let error = CSVSpan.split(line, delimiter: delimiter, into: &spans) {
                return .rejected(.malformed, error)
            }
            guard spans.count == count else {
                return .rejected(.malformed, "row has \(spans.count) field\(spans.count == 1 ? "" : "s"), the header has \(count)")
            }
            // Fields with `""` escapes are unescaped into `unescaped` first, so every value is bytes.
            unescaped.removeAll(keepingCapacity: true)
            for k in spans.indices where spans[k].escaped { spans[k].unescape(in: line, into: &unescaped) }
            let spans = self.spans
            let options = record.options
            return unescaped.withUnsafeBufferPointer { u in
                func get(_ role: GenericRole) -> UnsafeBufferPointer<UInt8>? {
                    guard let c = columns[role.rawValue] else { return nil }
                    return spans[c].bytes(in: line, unescaped: u)
                }
                return record.build(
                    get: get,
                    time: {
                        guard let raw = get(.time), !raw.trimmingSpaces.isEmpty else { return nil }
                        return (TimeField.parse(text: raw, format: options.timeFormat, zone: options.timezone), raw)
                    },
                    origin: origin, into: &out, scratch: &scratch)
            }
        }
    }

    mutating func readHeader(_ line: UnsafeBufferPointer<UInt8>, origin: Origin) -> LineVerdict {
        let bytes = Array(line)
        if let error = CSVSpan.split(line, delimiter: delimiter, into: &spans) {
            let why = "the header (line \(origin.line)) cannot be split: \(error)"
            header = .unusable(line: bytes, why: why)
            return .rejected(.malformed, why)
        }
        let columnNames = spans.map { $0.text(in: line).trimmingSpaces }
        let lowered = columnNames.map { $0.lowercased() }
        var columns = [Int?](repeating: nil, count: GenericRole.allCases.count)
        var missing: [(GenericRole, String)] = []
        for role in GenericRole.allCases where !names[role.rawValue].isEmpty {
            var found: Int?
            for alt in names[role.rawValue] {
                found = columnNames.firstIndex(of: alt) ?? lowered.firstIndex(of: alt.lowercased())
                if found != nil { break }
            }
            if let found { columns[role.rawValue] = found } else { missing.append((role, names[role.rawValue].joined(separator: "|"))) }
        }
        if missing.isEmpty {
            header = .ready(line: bytes, count: spans.count, columns: columns)
            return .skipped(.header)
        }
        let list = missing.map { "\($0.0.name) (\($0.1))" }.joined(separator: ", ")
        if missing.contains(where: { $0.0 == .time || $0.0 == .action }) {
            let why = "the header (line \(origin.line)) has no column for \(list)"
            header = .unusable(line: bytes, why: why)
            return .rejected(.malformed, why)
        }
        header = .ready(line: bytes, count: spans.count, columns: columns)
        return .rejected(.malformed, "the header has no column for \(list); rows are read with \(missing.count == 1 ? "that role" : "those roles") empty")
    }
}

/// One field of a CSV line: its byte range and whether it holds `""` escapes.
struct CSVSpan: Sendable {
    var start: Int
    var end: Int
    var escaped: Bool

    /// The field's text, with `""` turned into `"`.
    func text(in line: UnsafeBufferPointer<UInt8>) -> String {
        guard escaped else { return String(decoding: UnsafeBufferPointer(rebasing: line[start..<end]), as: UTF8.self) }
        var out = [UInt8]()
        var s = self
        s.unescape(in: line, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the field's text, `""` turned into `"`, to `out`, and points the span at it.
    mutating func unescape(in line: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let from = out.count
        var i = start
        while i < end {
            out.append(line[i])
            i += line[i] == 34 ? 2 : 1
        }
        (start, end) = (from, out.count)
    }

    /// The field's bytes: in the line, or once unescaped (`unescape`) in `unescaped`.
    func bytes(in line: UnsafeBufferPointer<UInt8>, unescaped: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: (escaped ? unescaped : line)[start..<end])
    }

    /// Splits one line into fields (RFC 4180 quoting, see `GenericCSVReader`); returns why it
    /// cannot, or nil.
    static func split(_ line: UnsafeBufferPointer<UInt8>, delimiter: UInt8, into spans: inout [CSVSpan]) -> String? {
        spans.removeAll(keepingCapacity: true)
        let n = line.count
        @inline(__always) func isBlank(_ c: UInt8) -> Bool { (c == 32 || c == 9) && c != delimiter }
        var i = 0
        while true {
            var j = i
            while j < n, isBlank(line[j]) { j += 1 }
            if j < n, line[j] == 34 {
                var k = j + 1
                var escaped = false
                while true {
                    guard k < n else {
                        return "quoted field \(spans.count + 1) is not closed on this line (records are read line by line)"
                    }
                    if line[k] == 34 {
                        if k + 1 < n, line[k + 1] == 34 { escaped = true; k += 2; continue }
                        break
                    }
                    k += 1
                }
                spans.append(CSVSpan(start: j + 1, end: k, escaped: escaped))
                k += 1
                while k < n, isBlank(line[k]) { k += 1 }
                if k == n { return nil }
                guard line[k] == delimiter else { return "text after the closing quote of field \(spans.count)" }
                i = k + 1
            } else {
                var k = i
                while k < n, line[k] != delimiter { k += 1 }
                spans.append(CSVSpan(start: i, end: k, escaped: false))
                if k == n { return nil }
                i = k + 1
            }
        }
    }
}
