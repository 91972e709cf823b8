#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
            let t = u.trimmingSpaces
            if t.count == u.count { return self }
            return String(decoding: t, as: UTF8.self)
        }
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// The bytes without leading and trailing ASCII white space (space, tab, CR, LF).
    @inlinable
    public var trimmingSpaces: UnsafeBufferPointer<UInt8> {
        @inline(__always) func space(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
        var start = 0, end = count
        while start < end, space(self[start]) { start += 1 }
        while end > start, space(self[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: self[start..<end])
    }
}

/// Why a JSON text could not be parsed.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) at byte \(offset)" }
}

/// A strict JSON parser over bytes (RFC 8259), giving a `JSONValue` (see `JSONTape` for the
/// parse itself and its rules for hostile input).
public enum JSONParser {
    public static let maxDepth = 64

    /// Parses one complete JSON value (surrounding white space allowed).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) -> JSONValue {
        var tape = JSONTape()
        try tape.parse(bytes)
        return tape.withDoc(bytes) { $0.value(0) }
    }

    public static func parse(_ s: String) throws(JSONError) -> JSONValue {
        var s = s
        let r: Result<JSONValue, JSONError> = s.withUTF8 { u in
            do throws(JSONError) { return .success(try parse(u)) } catch { return .failure(error) }
        }
        return try r.get()
    }
}

/// One JSON text parsed into a flat list of nodes over its bytes: what readers look fields up
/// in without building a `JSONValue`.
///
/// Node 0 is the root. A container's members follow it (an object's as key, value, key,
/// value …), each value's subtree before the next; `Node.next` is the index after a node's
/// subtree. Strings without escapes stay in the parsed bytes; unescaped strings go to
/// `scratch`. The arrays keep their storage between lines, so a reused tape allocates nothing
/// once warm.
///
/// Defined behaviour for hostile input: nesting deeper than `JSONParser.maxDepth` is an error
/// (no stack overflow); a duplicate key in one object is an error (the record is ambiguous); a
/// lone UTF-16 surrogate in a `\u` escape is an error; numbers are kept as text, so `1e400` or
/// a 40-digit id are not rounded or rejected. The input must already be valid UTF-8.
public struct JSONTape: Sendable {
    public enum Kind: UInt8, Sendable { case null, `false`, `true`, number, string, array, object }

    public struct Node: Sendable {
        public var kind: Kind
        /// The string's bytes are in `scratch` (it had escapes).
        var unescaped = false
        /// The string's bytes are all ASCII.
        var ascii = true
        /// The text's range (a string's without its quotes) in the parsed bytes or `scratch`.
        var start = 0
        var end = 0
        /// The index after this node's subtree.
        public var next = 0
    }

    public private(set) var nodes: [Node] = []
    var scratch: [UInt8] = []

    public init() {}

    /// Parses one complete JSON value (surrounding white space allowed) into the tape.
    /// - Parameter hexEscapes: also accept nginx's `\xNN` in strings (a `log_format` written as
    ///   JSON without `escape=json` escapes `"` as `\x22` and bytes outside ASCII as `\xNN`): the
    ///   byte NN, unless the string's bytes would then not be UTF-8, when its `\xNN` of bytes
    ///   0x80 and above stay as written.
    public mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>, hexEscapes: Bool = false) throws(JSONError) {
        nodes.removeAll(keepingCapacity: true)
        scratch.removeAll(keepingCapacity: true)
        var p = Parser(b: bytes, tape: self, hexEscapes: hexEscapes)
        self = JSONTape() // `p` owns the storage while it parses
        defer { self = p.tape }
        p.skipSpace()
        try p.value(depth: 0)
        p.skipSpace()
        guard p.i == bytes.count else { throw p.fail("unexpected text after the value") }
    }

    /// Calls `body` with the parsed tape over `bytes` (the bytes `parse` was given).
    public func withDoc<R>(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (JSONDoc) throws -> R) rethrows -> R {
        try nodes.withUnsafeBufferPointer { n in
            try scratch.withUnsafeBufferPointer { s in try body(JSONDoc(nodes: n, text: bytes, scratch: s)) }
        }
    }

    struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        var tape: JSONTape
        let hexEscapes: Bool
        var i = 0

        init(b: UnsafeBufferPointer<UInt8>, tape: JSONTape, hexEscapes: Bool = false) {
            self.b = b
            self.tape = tape
            self.hexEscapes = hexEscapes
        }

        func fail(_ m: String) -> JSONError { JSONError(message: m, offset: i) }

        mutating func skipSpace() {
            while i < b.count, b[i] == 32 || b[i] == 9 || b[i] == 10 || b[i] == 13 { i += 1 }
        }

        mutating func add(_ kind: Kind, _ start: Int, _ end: Int) {
            tape.nodes.append(Node(kind: kind, start: start, end: end, next: tape.nodes.count + 1))
        }

        mutating func value(depth: Int) throws(JSONError) {
            guard i < b.count else { throw fail("unexpected end of JSON") }
            switch b[i] {
            case 123: // {
                guard depth < JSONParser.maxDepth else { throw fail("nesting deeper than \(JSONParser.maxDepth)") }
                i += 1
                let me = tape.nodes.count
                add(.object, i - 1, i)
                defer { tape.nodes[me].next = tape.nodes.count }
                skipSpace()
                if i < b.count, b[i] == 125 { i += 1; return }
                while true {
                    skipSpace()
                    guard i < b.count, b[i] == 34 else { throw fail("expected a key") }
                    let key = tape.nodes.count
                    try string()
                    skipSpace()
                    guard i < b.count, b[i] == 58 else { throw fail("expected ':'") }
                    i += 1
                    skipSpace()
                    try value(depth: depth + 1)
                    try checkUnique(key, in: me)
                    skipSpace()
                    guard i < b.count else { throw fail("unexpected end of JSON") }
                    if b[i] == 44 { i += 1; continue }
                    if b[i] == 125 { i += 1; return }
                    throw fail("expected ',' or '}'")
                }
            case 91: // [
                guard depth < JSONParser.maxDepth else { throw fail("nesting deeper than \(JSONParser.maxDepth)") }
                i += 1
                let me = tape.nodes.count
                add(.array, i - 1, i)
                defer { tape.nodes[me].next = tape.nodes.count }
                skipSpace()
                if i < b.count, b[i] == 93 { i += 1; return }
                while true {
                    skipSpace()
                    try value(depth: depth + 1)
                    skipSpace()
                    guard i < b.count else { throw fail("unexpected end of JSON") }
                    if b[i] == 44 { i += 1; continue }
                    if b[i] == 93 { i += 1; return }
                    throw fail("expected ',' or ']'")
                }
            case 34: try string()
            case 116: try literal("true"); add(.true, i - 4, i)
            case 102: try literal("false"); add(.false, i - 5, i)
            case 110: try literal("null"); add(.null, i - 4, i)
            default: try number()
            }
        }

        /// Throws when the key at node `key` repeats an earlier key of the object at node `object`
        /// (keys compare as Swift strings do: canonically equivalent keys are one key).
        func checkUnique(_ key: Int, in object: Int) throws(JSONError) {
            let duplicate: String? = tape.withDoc(b) { d in
                var k = object + 1
                while k < key {
                    if d.sameKey(k, key) { return d.string(key) }
                    k = d.nodes[k + 1].next
                }
                return nil
            }
            if let duplicate { throw fail("duplicate key \"\(duplicate)\"") }
        }

        mutating func literal(_ word: StaticString) throws(JSONError) {
            let n = word.utf8CodeUnitCount
            guard i + n <= b.count else { throw fail("unexpected end of JSON") }
            for k in 0..<n where b[i + k] != word.utf8Start[k] { throw fail("invalid literal") }
            i += n
        }

        mutating func number() throws(JSONError) {
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
            add(.number, start, i)
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

        mutating func string() throws(JSONError) {
            i += 1 // opening quote
            let start = i
            var high: UInt8 = 0
            while i < b.count, b[i] != 34, b[i] != 92 {
                guard b[i] >= 0x20 else { throw fail("control character in string") }
                high |= b[i]
                i += 1
            }
            guard i < b.count else { throw fail("unterminated string") }
            if b[i] == 34 {
                tape.nodes.append(Node(kind: .string, ascii: high < 0x80, start: start, end: i, next: tape.nodes.count + 1))
                i += 1
                return
            }
            let outStart = tape.scratch.count
            let escapesAt = i
            var keepHighHex = false // a second pass: `\xNN` of 0x80 and above stay as written
            tape.scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
            var decodedHighHex = false
            while i < b.count {
                let c = b[i]
                if c == 34 {
                    if decodedHighHex, !keepHighHex,
                       !tape.scratch.withUnsafeBufferPointer({ URLParts.isValidUTF8(UnsafeBufferPointer(rebasing: $0[outStart...])) }) {
                        tape.scratch.removeSubrange(outStart...)
                        tape.scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<escapesAt]))
                        i = escapesAt
                        keepHighHex = true
                        continue
                    }
                    tape.nodes.append(Node(kind: .string, unescaped: true, ascii: high < 0x80, start: outStart,
                                           end: tape.scratch.count, next: tape.nodes.count + 1))
                    i += 1
                    return
                }
                if c < 0x20 { throw fail("control character in string") }
                if c != 92 { tape.scratch.append(c); high |= c; i += 1; continue }
                i += 1
                guard i < b.count else { break }
                let e = b[i]
                i += 1
                switch e {
                case 34: tape.scratch.append(34)
                case 92: tape.scratch.append(92)
                case 47: tape.scratch.append(47)
                case 98: tape.scratch.append(8)
                case 102: tape.scratch.append(12)
                case 110: tape.scratch.append(10)
                case 114: tape.scratch.append(13)
                case 116: tape.scratch.append(9)
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
                    for unit in UTF8.encode(u)! { tape.scratch.append(unit) }
                    if scalar >= 0x80 { high |= 0x80 }
                case 120 where hexEscapes: // \xNN
                    guard i + 2 <= b.count, let h = URLParts.hexValue(b[i]), let l = URLParts.hexValue(b[i + 1]) else {
                        throw fail("bad \\x escape")
                    }
                    let byte = h << 4 | l
                    if byte >= 0x80, keepHighHex {
                        tape.scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[(i - 2)..<(i + 2)]))
                    } else {
                        tape.scratch.append(byte)
                        if byte >= 0x80 { decodedHighHex = true; high |= 0x80 }
                    }
                    i += 2
                default: throw fail("bad escape")
                }
            }
            throw fail("unterminated string")
        }
    }
}

/// A parsed `JSONTape` with the bytes its nodes point into: lookups by node index.
public struct JSONDoc {
    public let nodes: UnsafeBufferPointer<JSONTape.Node>
    let text: UnsafeBufferPointer<UInt8>
    let scratch: UnsafeBufferPointer<UInt8>

    init(nodes: UnsafeBufferPointer<JSONTape.Node>, text: UnsafeBufferPointer<UInt8>, scratch: UnsafeBufferPointer<UInt8>) {
        self.nodes = nodes
        self.text = text
        self.scratch = scratch
    }

    public func kind(_ i: Int) -> JSONTape.Kind { nodes[i].kind }

    /// The source text of a number, the contents of a string (unescaped), `true` / `false` /
    /// `null` as written; a container's first byte.
    public func bytes(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let n = nodes[i]
        return UnsafeBufferPointer(rebasing: (n.unescaped ? scratch : text)[n.start..<n.end])
    }

    /// As `JSONValue.text`: a string's or number's text, `true` / `false`; nil for null,
    /// arrays and objects.
    public func text(_ i: Int) -> UnsafeBufferPointer<UInt8>? {
        switch nodes[i].kind {
        case .string, .number, .true, .false: return bytes(i)
        default: return nil
        }
    }

    /// The bytes of a string node as a `String` (details, rare paths).
    public func string(_ i: Int) -> String { String(decoding: bytes(i), as: UTF8.self) }

    /// True when two string nodes hold the same key (as Swift compares strings).
    func sameKey(_ a: Int, _ b: Int) -> Bool {
        let x = bytes(a), y = bytes(b)
        if JSONDoc.equal(x, y) { return true }
        return !(nodes[a].ascii && nodes[b].ascii) && string(a) == string(b)
    }

    @inline(__always)
    /// True when two byte strings are equal.
    public static func equal(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
    }

    /// The member `key` of the object at node `i` (nil when `i` is not an object or has no such
    /// key); keys compare as Swift compares strings (`ascii`: `key` is all ASCII).
    public func member(_ i: Int, _ key: UnsafeBufferPointer<UInt8>, ascii: Bool) -> Int? {
        guard nodes[i].kind == .object else { return nil }
        var k = i + 1
        let end = nodes[i].next
        while k < end {
            if JSONDoc.equal(bytes(k), key) { return k + 1 }
            if !(ascii && nodes[k].ascii), string(k) == String(decoding: key, as: UTF8.self) { return k + 1 }
            k = nodes[k + 1].next
        }
        return nil
    }

    public func member(_ i: Int, _ key: JSONKey) -> Int? {
        key.bytes.withUnsafeBufferPointer { member(i, $0, ascii: key.ascii) }
    }

    /// Item `n` of the array at node `i`.
    public func item(_ i: Int, _ n: Int) -> Int? {
        guard nodes[i].kind == .array, n >= 0 else { return nil }
        var k = i + 1, left = n
        while k < nodes[i].next {
            if left == 0 { return k }
            left -= 1
            k = nodes[k].next
        }
        return nil
    }

    /// The nodes of the items of the array at node `i` (none when it is not an array).
    public func items(_ i: Int) -> Items { Items(doc: self, at: nodes[i].kind == .array ? i + 1 : i, end: nodes[i].kind == .array ? nodes[i].next : i) }

    public struct Items: Sequence, IteratorProtocol {
        let doc: JSONDoc
        var at: Int
        let end: Int
        public mutating func next() -> Int? {
            guard at < end else { return nil }
            defer { at = doc.nodes[at].next }
            return at
        }
    }

    /// How many items the array at node `i` has.
    public func count(_ i: Int) -> Int {
        var n = 0
        for _ in items(i) { n += 1 }
        return n
    }

    /// As `JSONValue.double`: a number, or a string that holds one (`" 4.5 "`).
    public func double(_ i: Int) -> Double? {
        switch nodes[i].kind {
        case .number: return JSONDoc.double(bytes(i))
        case .string: return JSONDoc.double(bytes(i).trimmingSpaces)
        default: return nil
        }
    }

    /// `Double(text)` over bytes (no heap copy for short numbers).
    public static func double(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        Double(String(decoding: b, as: UTF8.self))
    }

    /// The value at node `i`, built.
    public func value(_ i: Int) -> JSONValue {
        switch nodes[i].kind {
        case .null: return .null
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .number: return .number(string(i))
        case .string: return .string(string(i))
        case .array: return .array(items(i).map(value))
        case .object:
            var members: [(String, JSONValue)] = []
            var k = i + 1
            while k < nodes[i].next {
                members.append((string(k), value(k + 1)))
                k = nodes[k + 1].next
            }
            return .object(members)
        }
    }
}

/// An object key to look up in a `JSONDoc`, its bytes ready.
public struct JSONKey: Sendable, Equatable {
    public let bytes: [UInt8]
    public let ascii: Bool

    public init(_ s: String) {
        bytes = Array(s.utf8)
        ascii = bytes.allSatisfy { $0 < 0x80 }
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
