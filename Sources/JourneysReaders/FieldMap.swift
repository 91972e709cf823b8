import JourneysCore

/// Maps roles (`time`, `visitor`, `email`, `action`, …) to the fields of a JSON or CSV record.
///
/// Each reader has default paths; a pipeline's `fields:` overrides them per role. A path is a
/// field name or a dotted path (`request.headers.User-Agent.0`). Unknown roles are a
/// configuration error naming the role and the roles that exist. A path may list alternatives
/// separated by `|` (`ts|time|@timestamp`): the first one present in a record is used.
public struct FieldMap: Sendable, Equatable {
    public private(set) var paths: [String: String]
    /// `paths` split at `|` once, so a lookup allocates nothing.
    private var alternatives: [String: [String]] = [:]

    public init(defaults: [String: String], overrides: [String: String], reader: String) throws(ConfigError) {
        paths = defaults
        for (role, path) in overrides.sorted(by: { $0.key < $1.key }) {
            guard defaults.keys.contains(role) else {
                let roles = defaults.keys.sorted().joined(separator: ", ")
                throw ConfigError("fields.\(role)", "the \(reader) reader has no field role \"\(role)\"" + (roles.isEmpty ? " (it takes no field map)" : "; roles: \(roles)"))
            }
            paths[role] = path
        }
        for (role, path) in paths where path.utf8.contains(124) {
            alternatives[role] = path.split(separator: "|").map(String.init)
        }
    }

    /// The value for `role` in a JSON record (nil when unmapped, missing or null).
    public func value(_ role: String, in record: JSONValue) -> JSONValue? {
        guard let path = paths[role], !path.isEmpty else { return nil }
        guard let alts = alternatives[role] else {
            if let v = record.at(path: path), v != .null { return v }
            return nil
        }
        for alt in alts {
            if let v = record.at(path: alt), v != .null { return v }
        }
        return nil
    }

    /// The value for `role` as text.
    public func text(_ role: String, in record: JSONValue) -> String? {
        value(role, in: record)?.text
    }
}

/// Reads a time from a JSON value or text in one of the known forms.
public enum TimeField {
    /// - Parameters:
    ///   - format: `auto`, `iso8601`, `epoch_s`, `epoch_ms`, `common_log`.
    ///   - offset: seconds east of UTC for text without an offset.
    public static func parse(_ v: JSONValue, format: String = "auto", offset: Int = 0) -> Int64? {
        switch v {
        case .number(let n):
            guard let d = Double(n) else { return nil }
            switch format {
            case "epoch_ms": return Timestamp.millis(d)
            case "epoch_s": return Timestamp.millis(d * 1000)
            default: return Timestamp.fromEpochNumber(d)
            }
        case .string(let s): return parse(text: s, format: format, offset: offset)
        default: return nil
        }
    }

    public static func parse(text: String, format: String = "auto", offset: Int = 0) -> Int64? {
        var s = text.trimmingSpaces
        return s.withUTF8 { b -> Int64? in
            switch format {
            case "iso8601": return Timestamp.parseISO8601(b, defaultOffset: offset)
            case "common_log": return Timestamp.parseCommonLog(b)
            case "epoch_s", "epoch_ms":
                guard let d = Double(String(decoding: b, as: UTF8.self)), d.isFinite else { return nil }
                return format == "epoch_ms" ? Timestamp.millis(d) : Timestamp.millis(d * 1000)
            default: return Timestamp.parseAny(b, defaultOffset: offset)
            }
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
        let u = s.utf8
        if u.count <= limit { return s }
        let bytes = Array(u)
        var keep = max(0, limit)
        while keep > 0, bytes[keep] & 0xC0 == 0x80 { keep -= 1 }
        return String(decoding: bytes[..<keep], as: UTF8.self) + "…"
    }
}
