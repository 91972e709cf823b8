import JourneysCore

/// Maps roles (`time`, `visitor`, `email`, `action`, …) to the fields of a JSON or CSV record.
///
/// Each reader has default paths; a pipeline's `fields:` overrides them per role. A path is a
/// field name or a dotted path (`request.headers.User-Agent.0`). Unknown roles are a
/// configuration error naming the role and the roles that exist. A path may list alternatives
/// separated by `|` (`ts|time|@timestamp`): the first one present in a record is used.
public struct FieldMap: Sendable, Equatable {
    public private(set) var paths: [String: String]

    public init(defaults: [String: String], overrides: [String: String], reader: String) throws(ConfigError) {
        paths = defaults
        for (role, path) in overrides.sorted(by: { $0.key < $1.key }) {
            guard defaults.keys.contains(role) else {
                let roles = defaults.keys.sorted().joined(separator: ", ")
                throw ConfigError("fields.\(role)", "the \(reader) reader has no field role \"\(role)\"" + (roles.isEmpty ? " (it takes no field map)" : "; roles: \(roles)"))
            }
            paths[role] = path
        }
    }

    /// The path(s) of `role`, ready for lookups in a `JSONDoc`.
    public func path(_ role: String) -> FieldPath {
        FieldPath(paths[role] ?? "")
    }
}

/// A role's field path(s) ready for lookups in a parsed line (`JSONDoc`), allocating nothing:
/// the lookup the field map documents (`|` alternatives, the first present and not null wins;
/// a dotted path steps into objects and, by a number, arrays, as `JSONValue.at(path:)`).
///
/// Two more forms, for records inside a line (`records:` of the `jsonl` reader):
/// - `name[field=value]` steps into the first element of the array `name` whose `field` is
///   `value` (`users[type=customer].id`: the customer among a chat's users);
/// - a leading `^` looks the rest up only in the objects around the record, one `^` per level
///   skipped (`^id`: the enclosing object's id, not the record's own).
public struct FieldPath: Sendable {
    /// One step of a dotted path: a key (`keys[start..<end]`), and for a step of several, its
    /// array index if it is a number; `filter`: the (key, value) ranges in `keys` an array
    /// element must have.
    struct Step: Sendable {
        var start: Int
        var end: Int
        var ascii: Bool
        var index: Int?
        var filter: (key: Range<Int>, value: Range<Int>)? = nil
    }
    /// The steps of every alternative, one after another; alternative `a` ends at `ends[a]`.
    let steps: [Step]
    let ends: [Int]
    /// How many enclosing levels alternative `a` skips (its leading `^`s).
    let skips: [Int]
    let keys: [UInt8]

    public init(_ path: String) {
        let alts = path.utf8.contains(124) ? path.split(separator: "|").map(String.init) : (path.isEmpty ? [] : [path])
        var steps: [Step] = [], ends: [Int] = [], skips: [Int] = [], keys: [UInt8] = []
        for var alt in alts {
            var skip = 0
            while alt.hasPrefix("^") { skip += 1; alt.removeFirst() }
            let parts = alt.utf8.contains(46) ? alt.split(separator: ".", omittingEmptySubsequences: false) : [alt[...]]
            for var part in parts {
                var filter: (key: Range<Int>, value: Range<Int>)?
                if part.hasSuffix("]"), let open = part.firstIndex(of: "["), let eq = part[open...].firstIndex(of: "=") {
                    let k = part[part.index(after: open)..<eq], v = part[part.index(after: eq)..<part.index(before: part.endIndex)]
                    let ks = keys.count
                    keys.append(contentsOf: k.utf8)
                    let vs = keys.count
                    keys.append(contentsOf: v.utf8)
                    filter = (ks..<vs, vs..<keys.count)
                    part = part[..<open]
                }
                let start = keys.count
                keys.append(contentsOf: part.utf8)
                steps.append(Step(start: start, end: keys.count, ascii: part.utf8.allSatisfy { $0 < 0x80 },
                                  index: parts.count > 1 ? Int(part) : nil, filter: filter))
            }
            ends.append(steps.count)
            skips.append(skip)
        }
        (self.steps, self.ends, self.skips, self.keys) = (steps, ends, skips, keys)
    }

    /// The node of the first alternative present and not null in the record at node `root`.
    public func find(in doc: JSONDoc, at root: Int = 0) -> Int? {
        find(in: doc, at: root) { doc.kind($0) != .null }
    }

    /// As `find(in:at:)`, then in each of `parents` (innermost last), innermost first: every
    /// alternative is tried at the record before any in its parents; a `^` alternative only in
    /// the parents it does not skip.
    public func find(in doc: JSONDoc, at root: Int, parents: UnsafeBufferPointer<Int>,
                     where usable: (Int) -> Bool = { _ in true }) -> Int? {
        let ok: (Int) -> Bool = { doc.kind($0) != .null && usable($0) }
        if let n = find(in: doc, at: root, level: 0, where: ok) { return n }
        var level = 1
        for p in parents.reversed() {
            if let n = find(in: doc, at: p, level: level, where: ok) { return n }
            level += 1
        }
        return nil
    }

    /// The node of the first alternative present in the record at node `root` for which `usable`
    /// is true (a reader's own rule for values that do not count, such as `"-"`).
    public func find(in doc: JSONDoc, at root: Int = 0, where usable: (Int) -> Bool) -> Int? {
        find(in: doc, at: root, level: 0, where: usable)
    }

    /// `find(in:at:where:)` among the alternatives that may be looked up `level` objects out.
    func find(in doc: JSONDoc, at root: Int, level: Int, where usable: (Int) -> Bool) -> Int? {
        keys.withUnsafeBufferPointer { keys in
            steps.withUnsafeBufferPointer { steps in
                var from = 0
                for (a, end) in ends.enumerated() {
                    defer { from = end }
                    if skips[a] > level { continue }
                    var cur = root
                    var found = true
                    for step in steps[from..<end] {
                        if let i = step.index, doc.kind(cur) == .array {
                            guard let n = doc.item(cur, i) else { found = false; break }
                            cur = n
                        } else {
                            guard let n = doc.member(cur, UnsafeBufferPointer(rebasing: keys[step.start..<step.end]), ascii: step.ascii) else {
                                found = false
                                break
                            }
                            cur = n
                        }
                        if let f = step.filter {
                            let key = UnsafeBufferPointer(rebasing: keys[f.key]), value = UnsafeBufferPointer(rebasing: keys[f.value])
                            var match: Int?
                            for item in doc.items(cur) {
                                if let m = doc.member(item, key, ascii: false), let t = doc.text(m), JSONDoc.equal(t, value) { match = item; break }
                            }
                            guard let match else { found = false; break }
                            cur = match
                        }
                    }
                    if found, usable(cur) { return cur }
                }
                return nil
            }
        }
    }

    /// The text (`JSONDoc.text`) of the value found, or nil.
    public func text(in doc: JSONDoc, at root: Int = 0) -> UnsafeBufferPointer<UInt8>? {
        find(in: doc, at: root).flatMap(doc.text)
    }
}

/// The fields a pipeline named for a JSON reader, watched until each has been seen in a line
/// (`LogReader.watchedFields`): at most 64, in role order; once all are seen, nothing is looked up.
struct FieldWatch: Sendable {
    let names: [String]
    let paths: [FieldPath]
    var seen: UInt64 = 0
    let all: UInt64

    /// `roles`: the roles to watch (`ReaderOptions.watchedRoles`, else every role of `fields`).
    init(_ options: ReaderOptions, map: FieldMap) {
        let roles = (options.watchedRoles ?? Set(options.fields.keys)).sorted().prefix(64)
        let kept = roles.filter { !(map.paths[$0] ?? "").isEmpty }
        names = kept.map { "\($0) (\(map.paths[$0]!))" }
        paths = kept.map { map.path($0) }
        all = kept.isEmpty ? 0 : (kept.count == 64 ? ~0 : (UInt64(1) << UInt64(kept.count)) - 1)
    }

    /// Looks up the fields not seen yet in the record at `root` (and its `parents`); the seen mask.
    mutating func see(_ doc: JSONDoc, at root: Int = 0, parents: UnsafeBufferPointer<Int>? = nil) -> UInt64 {
        guard seen != all else { return seen }
        for (i, p) in paths.enumerated() where seen & (1 << UInt64(i)) == 0 {
            let found = parents.map { p.find(in: doc, at: root, parents: $0) } ?? p.find(in: doc, at: root)
            if found != nil { seen |= 1 << UInt64(i) }
        }
        return seen
    }
}

/// Reads a time from a JSON value or text in one of the known forms.
public enum TimeField {
    /// - Parameters:
    ///   - format: `auto`, `iso8601`, `epoch_s`, `epoch_ms`, `common_log`.
    ///   - offset: seconds east of UTC for text without an offset.
    public static func parse(_ v: JSONValue, format: String = "auto", zone: Zone = .utc) -> Int64? {
        switch v {
        case .number(var n): return n.withUTF8 { parse(number: $0, format: format) }
        case .string(var s): return s.withUTF8 { parse(text: $0, format: format, zone: zone) }
        default: return nil
        }
    }

    /// The time of node `i` of a parsed line (a number or a string, as `parse(_:format:offset:)`).
    public static func parse(_ doc: JSONDoc, _ i: Int, format: String = "auto", zone: Zone = .utc) -> Int64? {
        switch doc.kind(i) {
        case .number: return parse(number: doc.bytes(i), format: format)
        case .string: return parse(text: doc.bytes(i), format: format, zone: zone)
        default: return nil
        }
    }

    /// A JSON number's text: epoch seconds or milliseconds (`auto` tells them apart).
    static func parse(number n: UnsafeBufferPointer<UInt8>, format: String) -> Int64? {
        guard let d = JSONDoc.double(n) else { return nil }
        switch format {
        case "epoch_ms": return Timestamp.millis(d)
        case "epoch_s": return Timestamp.millis(d * 1000)
        default: return Timestamp.fromEpochNumber(d)
        }
    }

    public static func parse(text: String, format: String = "auto", zone: Zone = .utc) -> Int64? {
        var s = text
        return s.withUTF8 { parse(text: $0, format: format, zone: zone) }
    }

    public static func parse(text: UnsafeBufferPointer<UInt8>, format: String = "auto", zone: Zone = .utc) -> Int64? {
        let b = text.trimmingSpaces
        switch format {
        case "iso8601": return Timestamp.parseISO8601(b, zone: zone)
        case "common_log": return Timestamp.parseCommonLog(b, zone: zone)
        case "epoch_s", "epoch_ms":
            guard let d = JSONDoc.double(b), d.isFinite else { return nil }
            return format == "epoch_ms" ? Timestamp.millis(d) : Timestamp.millis(d * 1000)
        default: return Timestamp.parseAny(b, zone: zone)
        }
    }

    /// The known time formats, for validation and `--help`.
    public static let formats = ["auto", "iso8601", "epoch_s", "epoch_ms", "common_log"]
}

/// Helpers shared by readers of one-JSON-object-per-line formats.
public enum JSONLine {
    /// Parses a line as JSON, or gives the reject verdict.
    public static func parse(_ line: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONError> {
        do throws(JSONError) {
            return .success(try JSONParser.parse(line))
        } catch {
            return .failure(error)
        }
    }

    /// Parses a line into `tape`; nil when it parsed, else the error (`hexEscapes`: as `JSONTape.parse`).
    static func parse(_ line: UnsafeBufferPointer<UInt8>, into tape: inout JSONTape, hexEscapes: Bool = false) -> JSONError? {
        do throws(JSONError) {
            try tape.parse(line, hexEscapes: hexEscapes)
            return nil
        } catch {
            return error
        }
    }

    /// True when the line's first non-blank byte opens a JSON object or array.
    public static func looksLikeJSON(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        for c in line where c != 32 && c != 9 { return c == 123 || c == 91 }
        return false
    }

    /// True when the line contains `"key"` (a cheap pre-check for sniffing).
    public static func mentions(_ line: UnsafeBufferPointer<UInt8>, _ key: String) -> Bool {
        UserAgentClassifier.contains(line, Array("\"\(key)\"".utf8))
    }

    /// Keeps the first `limit` bytes of free text (never splitting a UTF-8 sequence) and marks
    /// the cut with `…`.
    public static func cut(_ s: String, _ limit: Int) -> String {
        var s = s
        return s.withUTF8 { u in
            guard let keep = cutLength(u, limit) else { return String(decoding: u, as: UTF8.self) }
            return String(decoding: UnsafeBufferPointer(rebasing: u[..<keep]), as: UTF8.self) + "…"
        }
    }

    /// How many bytes of `u` `cut` keeps (before its `…`), or nil when `u` is within `limit`.
    static func cutLength(_ u: UnsafeBufferPointer<UInt8>, _ limit: Int) -> Int? {
        if u.count <= limit { return nil }
        var keep = max(0, limit)
        while keep > 0, u[keep] & 0xC0 == 0x80 { keep -= 1 }
        return keep
    }

    /// The UTF-8 bytes of `…`.
    static let ellipsis: [UInt8] = [0xE2, 0x80, 0xA6]
}

extension TouchpointBuffer {
    /// Sets the current row's email key to `b` lower-cased, as `IdentityOptions.cleanEmail` does.
    mutating func setEmail(_ b: UnsafeBufferPointer<UInt8>, scratch: inout [UInt8]) {
        if b.contains(where: { $0 >= 0x80 }) { // Unicode lower-casing
            var lower = String(decoding: b, as: UTF8.self).lowercased()
            lower.withUTF8 { setKey(.email, $0) }
            return
        }
        scratch.removeAll(keepingCapacity: true)
        for c in b { scratch.append(c &- 65 < 26 ? c | 0x20 : c) }
        scratch.withUnsafeBufferPointer { setKey(.email, $0) }
    }

    /// Sets the current row's text to `b` cut to `limit` bytes, as `JSONLine.cut` cuts it.
    mutating func setText(_ b: UnsafeBufferPointer<UInt8>, limit: Int, scratch: inout [UInt8]) {
        guard let keep = JSONLine.cutLength(b, limit) else { setText(b); return }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[..<keep]))
        scratch.append(contentsOf: JSONLine.ellipsis)
        scratch.withUnsafeBufferPointer { setText($0) }
    }
}

extension Array where Element == UInt8 {
    /// Appends the decimal digits of `v`.
    mutating func appendDecimal(_ v: Int64) {
        if v < 0 { append(45) }
        var m = v.magnitude
        let start = count
        repeat { append(UInt8(48 + m % 10)); m /= 10 } while m > 0
        self[start...].reverse()
    }
}
