/// A parsed JSON value. Objects keep their members in document order.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number, kept as its source text so large ids and money are not rounded; see `double`.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The member `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for (k, v) in members where k == key { return v }
        return nil
    }

    /// Follows a dotted path such as `user.email` or `tags.0` (a number indexes an array).
    public func at(path: String) -> JSONValue? {
        if !path.utf8.contains(46) { return self[path] } // no "." (a byte test, not a Character walk)
        var cur: JSONValue? = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let c = cur else { return nil }
            if case .array(let items) = c, let i = Int(part) {
                cur = i >= 0 && i < items.count ? items[i] : nil
            } else {
                cur = c[String(part)]
            }
        }
        return cur
    }

    /// The value as text: strings as they are, numbers as written, booleans as `true`/`false`;
    /// nil for null, arrays and objects.
    public var text: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// The value as a number: JSON numbers, and strings that hold a number (`"4.5"`).
    public var double: Double? {
        switch self {
        case .number(let n): return Double(n)
        case .string(let s): return Double(s.trimmingSpaces)
        default: return nil
        }
    }
}

extension Array where Element == UInt8 {
    /// Appends the UTF-8 bytes of `s` in one copy (`append(contentsOf: s.utf8)` walks them one by one).
    @inlinable
    public mutating func appendUTF8(_ s: String) {
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { append(contentsOf: $0) }
        if done == nil { append(contentsOf: s.utf8) }
    }
}

extension String {
    /// The string without leading and trailing ASCII white space (itself, uncopied, when it has none).
    public var trimmingSpaces: String {
        var s = self
        return s.withUTF8 { u in
            func space(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
            var start = 0, end = u.count
            while start < end, space(u[start]) { start += 1 }
            while end > start, space(u[end - 1]) { end -= 1 }
            if start == 0, end == u.count { return self }
            return String(decoding: UnsafeBufferPointer(rebasing: u[start..<end]), as: UTF8.self)
        }
    }
}

/// Why a JSON text could not be parsed.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) at byte \(offset)" }
}

/// A strict JSON parser over bytes (RFC 8259).
///
/// Defined behaviour for hostile input: nesting deeper than `maxDepth` is an error (no stack
/// overflow); a duplicate key in one object is an error (the record is ambiguous); a lone UTF-16
/// surrogate in a `\u` escape is an error; numbers are kept as text, so `1e400` or a 40-digit id
/// are not rounded or rejected. The input must already be valid UTF-8.
public struct JSONParser {
    public static let maxDepth = 64

    let b: UnsafeBufferPointer<UInt8>
    var i = 0

    /// Parses one complete JSON value (surrounding white space allowed).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) -> JSONValue {
        var p = JSONParser(b: bytes)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == bytes.count else { throw p.fail("unexpected text after the value") }
        return v
    }

    public static func parse(_ s: String) throws(JSONError) -> JSONValue {
        var s = s
        let r: Result<JSONValue, JSONError> = s.withUTF8 { u in
            do throws(JSONError) { return .success(try parse(u)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    func fail(_ m: String) -> JSONError { JSONError(message: m, offset: i) }

    mutating func skipSpace() {
        while i < b.count, b[i] == 32 || b[i] == 9 || b[i] == 10 || b[i] == 13 { i += 1 }
    }

    mutating func value(depth: Int) throws(JSONError) -> JSONValue {
        guard i < b.count else { throw fail("unexpected end of JSON") }
        switch b[i] {
        case 123: // {
            guard depth < JSONParser.maxDepth else { throw fail("nesting deeper than \(JSONParser.maxDepth)") }
            i += 1
            var members: [(String, JSONValue)] = []
            skipSpace()
            if i < b.count, b[i] == 125 { i += 1; return .object(members) }
            while true {
                skipSpace()
                guard i < b.count, b[i] == 34 else { throw fail("expected a key") }
                let key = try string()
                skipSpace()
                guard i < b.count, b[i] == 58 else { throw fail("expected ':'") }
                i += 1
                skipSpace()
                let v = try value(depth: depth + 1)
                if members.count < 32 {
                    for (k, _) in members where k == key { throw fail("duplicate key \"\(key)\"") }
                } else if members.contains(where: { $0.0 == key }) {
                    throw fail("duplicate key \"\(key)\"")
                }
                members.append((key, v))
                skipSpace()
                guard i < b.count else { throw fail("unexpected end of JSON") }
                if b[i] == 44 { i += 1; continue }
                if b[i] == 125 { i += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        case 91: // [
            guard depth < JSONParser.maxDepth else { throw fail("nesting deeper than \(JSONParser.maxDepth)") }
            i += 1
            var items: [JSONValue] = []
            skipSpace()
            if i < b.count, b[i] == 93 { i += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < b.count else { throw fail("unexpected end of JSON") }
                if b[i] == 44 { i += 1; continue }
                if b[i] == 93 { i += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        case 34:
            return .string(try string())
        case 116: try literal("true"); return .bool(true)
        case 102: try literal("false"); return .bool(false)
        case 110: try literal("null"); return .null
        default:
            return .number(try number())
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count else { throw fail("unexpected end of JSON") }
        for k in 0..<n where b[i + k] != word.utf8Start[k] { throw fail("invalid literal") }
        i += n
    }

    mutating func number() throws(JSONError) -> String {
        let start = i
        if i < b.count, b[i] == 45 { i += 1 }
        let intStart = i
        while i < b.count, b[i] &- 48 < 10 { i += 1 }
        guard i > intStart else { throw fail("invalid value") }
        if b[intStart] == 48, i - intStart > 1 { throw fail("number with a leading zero") }
        if i < b.count, b[i] == 46 {
            i += 1
            let f = i
            while i < b.count, b[i] &- 48 < 10 { i += 1 }
            guard i > f else { throw fail("invalid number") }
        }
        if i < b.count, b[i] | 0x20 == 101 {
            i += 1
            if i < b.count, b[i] == 43 || b[i] == 45 { i += 1 }
            let e = i
            while i < b.count, b[i] &- 48 < 10 { i += 1 }
            guard i > e else { throw fail("invalid number") }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
        guard i + 4 <= b.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let h = URLParts.hexValue(b[i]) else { throw fail("bad \\u escape") }
            v = v << 4 | UInt32(h)
            i += 1
        }
        return v
    }

    mutating func string() throws(JSONError) -> String {
        i += 1 // opening quote
        let start = i
        while i < b.count, b[i] != 34, b[i] != 92 {
            guard b[i] >= 0x20 else { throw fail("control character in string") }
            i += 1
        }
        guard i < b.count else { throw fail("unterminated string") }
        if b[i] == 34 {
            let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
            i += 1
            return s
        }
        var out = [UInt8](UnsafeBufferPointer(rebasing: b[start..<i]))
        while i < b.count {
            let c = b[i]
            if c == 34 { i += 1; return String(decoding: out, as: UTF8.self) }
            if c < 0x20 { throw fail("control character in string") }
            if c != 92 { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { break }
            let e = b[i]
            i += 1
            switch e {
            case 34: out.append(34)
            case 92: out.append(92)
            case 47: out.append(47)
            case 98: out.append(8)
            case 102: out.append(12)
            case 110: out.append(10)
            case 114: out.append(13)
            case 116: out.append(9)
            case 117:
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 6 <= b.count, b[i] == 92, b[i + 1] == 117 else { throw fail("lone surrogate in \\u escape") }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("lone surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("lone surrogate in \\u escape")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("bad \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw fail("bad escape")
            }
        }
        throw fail("unterminated string")
    }
}

/// Appends JSON string literals to a byte buffer (for NDJSON outputs).
public enum JSONText {
    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `"s"` with the escapes JSON requires (quotes, backslash, control characters).
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendString($0, to: &out) }
    }

    /// Appends the UTF-8 bytes `u` as a JSON string, escaped as `appendString(_: String)` does:
    /// runs that need no escape are copied in one go.
    public static func appendString(_ u: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(34)
        var clean = 0
        for (i, c) in u.enumerated() where c < 0x20 || c == 34 || c == 92 || c == 0x7f {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: u[clean..<i]))
            clean = i + 1
            out.append(92)
            switch c {
            case 34, 92: out.append(c)
            case 10: out.append(110)
            case 13: out.append(114)
            case 9: out.append(116)
            default:
                out.append(117); out.append(48); out.append(48)
                out.append(hex[Int(c >> 4)]); out.append(hex[Int(c & 15)])
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: u[clean...]))
        out.append(34)
    }

    public static func quoted(_ s: String) -> String {
        var o: [UInt8] = []
        appendString(s, to: &o)
        return String(decoding: o, as: UTF8.self)
    }

    /// A number without a trailing `.0` for whole values.
    public static func number(_ v: Double) -> String {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return v.isFinite ? "\(v)" : "null"
    }
}
