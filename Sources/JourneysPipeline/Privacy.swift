#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import JourneysCore

/// What `--pii` asks for: pseudonyms (the default; needs a key once an email or IP would be
/// written) or, on purpose, clear text.
public enum PIIRequest: String, Sendable, CaseIterable {
    case pseudonymise
    case clear
}

/// Why personal data cannot be handled as asked (exit 78).
public struct PIIError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    static let howToSetKey = "set JOURNEYS_PII_KEY (at least 32 bytes) in the environment, or name a key file in the pipeline " +
        "(privacy: {key_file: PATH}, mode 0600, at least 32 bytes); or pass --pii clear to write them in clear"
    static let missing = PIIError(message: "the output would hold email addresses or IP addresses and no pseudonym key is set: " + howToSetKey)
}

/// Keeps email addresses and IP addresses out of outputs: replaces them with keyed
/// HMAC-SHA256 pseudonyms (`e_` or `i_` and the first 16 bytes in hex, a letter first so a
/// spreadsheet keeps it as text). The same value and key always give the same pseudonym, so
/// stitching by email still works; another key gives unrelated pseudonyms, and without the key
/// they cannot be reversed by enumerating addresses.
///
/// Applied to every touchpoint as it is read: identity keys (email; a customer, visitor or chat
/// id that is an email or IP address; the IP + user-agent fallback visitor key, always) and free
/// text (path, query names and values, campaign, referrer, currency, chat text, ids, a generic
/// reader's action name), where each email address, IPv4 or IPv6 address inside the text is
/// replaced; and to every rejected line's raw text and detail.
public struct PIIPolicy: Sendable {
    public enum Mode: Sendable {
        case pseudonymise(key: [UInt8])
        case clear
        /// No key: a touchpoint holding an email or IP makes the job fail with `PIIError.missing`.
        case refuse
        /// No key, for inspection (`journeys events`): emails and IPs are left out — identity
        /// keys emptied, addresses inside text replaced by `[email]` / `[ip]` — never written in clear.
        case withhold
    }
    public var mode: Mode

    public init(_ mode: Mode) { self.mode = mode }

    /// The shortest key accepted, in bytes.
    public static let minimumKeyBytes = 32
    public static let environmentVariable = "JOURNEYS_PII_KEY"

    /// The policy for a request: the key from the environment variable, else from the pipeline's
    /// `privacy.key_file`; `.refuse` when neither is set. A short or unreadable key, or a key file
    /// readable by group or others, is an error even with `--pii clear` (it is a broken setting).
    public static func resolve(_ request: PIIRequest, pipeline: PipelineConfig,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws(PIIError) -> PIIPolicy {
        var key: [UInt8]?
        if let v = environment[environmentVariable], !v.isEmpty {
            key = Array(v.utf8)
            guard key!.count >= minimumKeyBytes else {
                throw PIIError(message: "\(environmentVariable) is \(key!.count) bytes; a pseudonym key needs at least \(minimumKeyBytes)")
            }
        } else if let path = pipeline.privacy.keyFile {
            key = try readKeyFile(path)
        }
        if request == .clear { return PIIPolicy(.clear) }
        return PIIPolicy(key.map { .pseudonymise(key: $0) } ?? .refuse)
    }

    /// Reads a key file: it must be a regular file that only its owner can read, with at least
    /// `minimumKeyBytes` bytes (one trailing newline is not part of the key). The key is never printed.
    public static func readKeyFile(_ path: String) throws(PIIError) -> [UInt8] {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw PIIError(message: "privacy.key_file \(path): \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw PIIError(message: "privacy.key_file \(path): not a regular file") }
        guard st.st_mode & 0o077 == 0 else {
            throw PIIError(message: "privacy.key_file \(path) can be read by group or others (mode \(String(st.st_mode & 0o777, radix: 8))); " +
                           "run chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PIIError(message: "privacy.key_file \(path): cannot read it")
        }
        var key = [UInt8](data)
        if key.last == 10 { key.removeLast() }
        if key.last == 13 { key.removeLast() }
        guard key.count >= minimumKeyBytes else {
            throw PIIError(message: "privacy.key_file \(path) holds \(key.count) bytes; a pseudonym key needs at least \(minimumKeyBytes)")
        }
        return key
    }

    /// `prefix` + the first 16 bytes of HMAC-SHA256(key, kind ":" value) in hex.
    static func pseudonym(_ value: String, prefix: String, key: [UInt8]) -> String {
        var mac = HMAC<SHA256>(key: SymmetricKey(data: key))
        mac.update(data: Array(prefix.utf8))
        mac.update(data: Array(value.utf8))
        let digits = Array("0123456789abcdef".utf8)
        var out = Array(prefix.utf8)
        for b in Array(mac.finalize()).prefix(16) {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The pseudonym of an email address (compared lower-cased, without surrounding spaces).
    public func email(_ s: String) -> String {
        if case .withhold = mode { return "[email]" }
        guard case .pseudonymise(let key) = mode else { return s }
        return Self.pseudonym(s.trimmingSpaces.lowercased(), prefix: "e_", key: key)
    }

    /// The pseudonym of an IP address.
    public func ip(_ s: String) -> String {
        if case .withhold = mode { return "[ip]" }
        guard case .pseudonymise(let key) = mode else { return s }
        return Self.pseudonym(s.lowercased(), prefix: "i_", key: key)
    }

    /// The pseudonym of an IP + user-agent fallback visitor key (`v_` and 32 hex digits). The
    /// reader's unkeyed hash of IP and user agent could be matched by hashing every address of a
    /// network with a known user agent; keyed, it cannot.
    public func fallbackVisitor(_ s: String) -> String {
        guard case .pseudonymise(let key) = mode else { return s }
        return Self.pseudonym(s, prefix: "v_", key: key)
    }

    /// Replaces the emails and IPs of one touchpoint. Returns false (leaving it unchanged) when the
    /// mode is `.refuse` and the touchpoint holds one.
    public func apply(_ t: inout Touchpoint) -> Bool {
        switch mode {
        case .clear: return true
        case .refuse:
            var probe = t
            return !PIIScrubber(policy: PIIPolicy(.pseudonymise(key: [0]))).scrub(&probe)
        case .pseudonymise, .withhold:
            _ = PIIScrubber(policy: self).scrub(&t)
            return true
        }
    }

    /// Replaces the emails and IPs in a rejected line's raw text (UTF-8 or not) and detail, the
    /// same way as in a touchpoint's text. Returns false (leaving it unchanged) when the mode is
    /// `.refuse` and it holds one.
    public func apply(_ r: inout RejectRecord) -> Bool {
        let probe = PIIPolicy(.pseudonymise(key: [0]))
        switch mode {
        case .clear: return true
        case .refuse:
            return PIIText.replace(bytes: r.raw, policy: probe) == nil && PIIText.replace(r.detail, policy: probe) == nil
        case .pseudonymise, .withhold:
            if let raw = PIIText.replace(bytes: r.raw, policy: self) {
                // `length` is the line's length; for a line kept whole it follows the new text.
                if Int64(r.raw.count) >= r.length { r.length = Int64(raw.count) }
                r.raw = raw
            }
            if let d = PIIText.replace(r.detail, policy: self) { r.detail = d }
            return true
        }
    }
}

/// Finds and replaces emails and IP addresses in a touchpoint's fields.
struct PIIScrubber {
    let policy: PIIPolicy
    var withhold: Bool { if case .withhold = policy.mode { true } else { false } }

    /// What becomes of an identity key (`email`: an email key, always an address): nil when it
    /// stays, `.some(nil)` when it is withheld, else its pseudonym or scrubbed text. One pass over
    /// the value's bytes rules most values out (`PIIText.Shape`) before any parsing.
    func key(_ s: String, email: Bool) -> String?? {
        if email { return .some(withhold ? nil : policy.email(s)) }
        let shape = PIIText.Shape(s)
        guard shape.mayHoldAny else { return nil }
        if shape.at, PIIText.isEmail(s) { return .some(withhold ? nil : policy.email(s)) }
        if shape.mayBeIP, PIIText.isIP(s) { return .some(withhold ? nil : policy.ip(s)) }
        if let r = PIIText.replace(s, policy: policy, shape: shape) { return .some(r) }
        return nil
    }

    /// A fallback visitor key's pseudonym (derived from the client IP: personal data whatever it looks like).
    func fallbackVisitor(_ s: String) -> String? { withhold ? nil : policy.fallbackVisitor(s) }

    /// The text with its addresses replaced, nil when it has none.
    func text(_ s: String) -> String? { PIIText.replace(s, policy: policy) }

    /// Returns true when something was replaced.
    func scrub(_ t: inout Touchpoint) -> Bool {
        var changed = false
        func key(_ v: inout String?, email: Bool) {
            guard let s = v, let r = self.key(s, email: email) else { return }
            v = r
            changed = true
        }
        func text(_ v: inout String?) {
            guard let s = v, let r = self.text(s) else { return }
            v = r
            changed = true
        }
        key(&t.keys.email, email: true)
        key(&t.keys.customer, email: false)
        if !t.keys.visitorIsFallback {
            key(&t.keys.visitor, email: false)
        } else if let v = t.keys.visitor {
            t.keys.visitor = fallbackVisitor(v)
            changed = true
        }
        key(&t.keys.chatVisitor, email: false)
        text(&t.path)
        for i in t.query.indices {
            var v: String? = t.query[i].value
            key(&v, email: false)
            t.query[i].value = v ?? ""
            var n: String? = t.query[i].name
            text(&n)
            t.query[i].name = n ?? ""
        }
        text(&t.campaign.source); text(&t.campaign.medium); text(&t.campaign.name)
        text(&t.campaign.term); text(&t.campaign.content)
        if var c = t.clickID { var v: String? = c.value; text(&v); c.value = v ?? ""; t.clickID = c }
        text(&t.referrerHost)
        text(&t.currency)
        text(&t.text)
        text(&t.conversation)
        text(&t.eventID)
        if case .custom(let name) = t.action, let r = self.text(name) {
            t.action = .custom(r)
            changed = true
        }
        return changed
    }

    /// `scrub` for a chunk's columns: each distinct string of the chunk's tables is looked at
    /// once, the keys once per kind, and the query parameters and text row by row. Returns true
    /// when something was replaced.
    func scrub(_ b: inout TouchpointBuffer) -> Bool {
        var changed = false
        /// Replaces, in `table`, each string `replace` changes: the new string is interned and
        /// the map sends the old id to it.
        func remap(_ table: inout StringTable, _ replace: (String) -> String?) -> [UInt32]? {
            var map: [UInt32]?
            let n = table.count
            for id in UInt32(1)..<UInt32(n + 1) {
                // Most strings are ruled out from their bytes, without making a `String`.
                guard table.withBytes(id, { PIIText.Shape(bytes: $0).mayHoldAny }),
                      let s = table.string(id), let r = replace(s) else { continue }
                if map == nil { map = Array(0...UInt32(n)) }
                map![Int(id)] = table.intern(r)
            }
            return map
        }
        if let m = remap(&b.strings.paths, text) {
            changed = true
            for i in b.columns.path.indices { b.columns.path[i] = m[Int(b.columns.path[i])] }
        }
        if let m = remap(&b.strings.values, text) {
            changed = true
            let identity = Array(0...UInt32(b.strings.paths.count))
            for i in 0..<b.count {
                var r = b.columns[i]
                let clickKind = r.clickKind // never an address: a parameter name the reader chose
                r.remap(paths: identity, values: m)
                r.clickKind = clickKind
                b.columns.actionName[i] = r.actionName; b.columns.referrer[i] = r.referrer; b.columns.source[i] = r.source
                b.columns.medium[i] = r.medium; b.columns.campaign[i] = r.campaign; b.columns.term[i] = r.term
                b.columns.content[i] = r.content; b.columns.clickValue[i] = r.clickValue; b.columns.currency[i] = r.currency
                b.columns.conversation[i] = r.conversation; b.columns.eventID[i] = r.eventID
            }
        }
        // Keys: what each distinct key of a kind becomes (0 when withheld). The table and each
        // column are moved out of the buffer while they change, so nothing is copied.
        var table = b.keyStrings
        b.keyStrings = StringTable()
        let flags = b.columns.flags
        /// `always`: every key of the column is replaced (emails), not only those that may hold
        /// an address; `replace` is given the key and whether it is a fallback visitor key.
        func keys(_ ids: inout [UInt32], always: Bool = false, _ replace: (String, Bool) -> String??) {
            var memo: [UInt64: UInt32] = [:]
            for i in ids.indices {
                let id = ids[i]
                guard id != 0 else { continue }
                let fallback = flags[i] & TouchpointColumns.visitorIsFallback != 0
                let k = UInt64(id) << 1 | (fallback ? 1 : 0)
                var new = id
                if let known = memo[k] {
                    new = known
                } else {
                    if always || fallback || table.withBytes(id, { PIIText.Shape(bytes: $0).mayHoldAny }),
                       let r = replace(table.string(id)!, fallback) {
                        new = r.map { table.intern($0) } ?? 0
                    }
                    memo[k] = new
                }
                if new != id { ids[i] = new; changed = true }
            }
        }
        func column(_ path: WritableKeyPath<TouchpointBuffer, [UInt32]>, always: Bool = false, _ replace: (String, Bool) -> String??) {
            var ids = b[keyPath: path]
            b[keyPath: path] = []
            keys(&ids, always: always, replace)
            b[keyPath: path] = ids
        }
        column(\.email, always: true) { s, _ in key(s, email: true) }
        column(\.customer) { s, _ in key(s, email: false) }
        column(\.visitor) { s, fallback in fallback ? .some(fallbackVisitor(s)) : key(s, email: false) }
        column(\.chatVisitor) { s, _ in key(s, email: false) }
        b.keyStrings = table
        // Query parameters and text, rewritten row by row when one of the chunk's may hold an
        // address (most chunks have none: their bytes are only looked at).
        var mayHold = false
        for i in 0..<b.count where !mayHold {
            b.forEachExtra(i, query: { n, v in
                if PIIText.Shape(bytes: n).mayHoldAny || PIIText.Shape(bytes: v).mayHoldAny { mayHold = true }
            }, text: { if PIIText.Shape(bytes: $0).mayHoldAny { mayHold = true } })
        }
        guard mayHold else { return changed }
        var extra: [UInt8] = []
        var ends: [Int] = []
        var extraChanged = false
        extra.reserveCapacity(b.extra.count)
        ends.reserveCapacity(b.count)
        func put(_ tag: UInt8, _ v: [UInt8]) {
            extra.append(tag)
            Varint.append(UInt64(v.count), to: &extra)
            extra.append(contentsOf: v)
        }
        for i in 0..<b.count {
            b.forEachExtra(i, query: { n, v in
                let name = String(decoding: n, as: UTF8.self), value = String(decoding: v, as: UTF8.self)
                let newName = text(name), newValue = key(value, email: false)
                if newName != nil || newValue != nil { extraChanged = true }
                extra.append(TouchpointBuffer.queryTag)
                let nb = newName.map { Array($0.utf8) } ?? Array(n), vb = newValue.map { Array(($0 ?? "").utf8) } ?? Array(v)
                Varint.append(UInt64(nb.count), to: &extra); extra.append(contentsOf: nb)
                Varint.append(UInt64(vb.count), to: &extra); extra.append(contentsOf: vb)
            }, text: { t in
                if let r = text(String(decoding: t, as: UTF8.self)) { extraChanged = true; put(TouchpointBuffer.textTag, Array(r.utf8)) }
                else { put(TouchpointBuffer.textTag, Array(t)) }
            })
            ends.append(extra.count)
        }
        if extraChanged {
            b.extra = extra
            b.extraEnd = ends
            changed = true
        }
        return changed
    }
}

/// Recognises email addresses and IP addresses in text (byte-level, no regular expressions).
enum PIIText {
    /// What one pass over a value's bytes says it may hold: an email needs `@` (or `%40`), an
    /// IPv4 address three dots, an IPv6 address two colons (or a URL-encoded colon, `%3A`).
    struct Shape {
        /// `escaped`: the text has `%40` or `%3A` (an encoded `@` or `:`).
        var at = false, escaped = false, dots = 0, colons = 0

        init(_ s: String) {
            if let shape = s.utf8.withContiguousStorageIfAvailable(Shape.init(bytes:)) {
                self = shape
            } else {
                self = Array(s.utf8).withUnsafeBufferPointer(Shape.init(bytes:))
            }
        }

        init(bytes u: UnsafeBufferPointer<UInt8>) {
            guard let base = u.baseAddress, !u.isEmpty else { return }
            // memchr for the rare bytes, and a branch-free count (which the compiler vectorises)
            // for dots and colons.
            at = memchr(base, 64, u.count) != nil
            var i = 0
            while !escaped, i < u.count, let q = memchr(base + i, 37, u.count - i) {
                let k = UnsafeRawPointer(q) - UnsafeRawPointer(base)
                if k + 2 < u.count, PIIText.escapedByte(u[k + 1], u[k + 2]) != nil { escaped = true }
                i = k + 1
            }
            var d = 0, c = 0
            for b in u {
                d &+= b == 46 ? 1 : 0
                c &+= b == 58 ? 1 : 0
            }
            dots = d
            colons = c
        }

        /// An email or IP address may be somewhere in the text.
        var mayHoldText: Bool { at || escaped || dots >= 3 || colons >= 2 }
        /// The whole value may be an IP address.
        var mayBeIP: Bool { dots >= 3 || colons >= 2 }
        var mayHoldAny: Bool { mayHoldText || mayBeIP }
    }

    static func isLocal(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 46 || c == 95 || c == 37 || c == 43 || c == 45
    }
    static func isDomain(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 46 || c == 45
    }
    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    static func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) }
    static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 97 && c | 0x20 <= 122) }

    /// `@` for `%40`, `:` for `%3A` (the two digits after a `%`); nil for any other escape.
    static func escapedByte(_ a: UInt8, _ b: UInt8) -> UInt8? {
        if a == 52, b == 48 { return 64 }
        if a == 51, b | 0x20 == 97 { return 58 }
        return nil
    }

    /// The length of the letter or digit (any script, with its combining marks) whose UTF-8
    /// bytes start at `i`, or 0: lets `müller@exämple.de` be an address while punctuation such
    /// as `—` or `…` still ends one. Only called next to an `@`, so decoding costs nothing elsewhere.
    static func wordScalarLength(_ u: [UInt8], at i: Int) -> Int {
        let lead = u[i]
        let n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
        guard n > 0, i + n <= u.count, u[(i + 1)..<(i + n)].allSatisfy({ $0 & 0xC0 == 0x80 }),
              let scalar = String(decoding: u[i..<(i + n)], as: UTF8.self).unicodeScalars.first else { return 0 }
        let p = scalar.properties
        let mark = p.generalCategory == .nonspacingMark || p.generalCategory == .spacingMark
        return p.isAlphabetic || p.numericType != nil || mark ? n : 0
    }

    /// The start of the non-ASCII letter or digit that ends just before `end`, or nil.
    static func wordScalarStart(_ u: [UInt8], before end: Int) -> Int? {
        var s = end - 1
        while s > 0, end - s < 4, u[s] & 0xC0 == 0x80 { s -= 1 }
        return wordScalarLength(u, at: s) == end - s ? s : nil
    }

    /// The whole value is one email address (spaces around allowed).
    static func isEmail(_ s: String) -> Bool {
        guard s.utf8.contains(64) else { return false }
        let u = Array(s.trimmingSpaces.utf8)
        guard let m = emailMatch(u, at: u.firstIndex(of: 64) ?? -1) else { return false }
        return m.lowerBound == 0 && m.upperBound == u.count
    }

    /// The whole value is an IPv4 or IPv6 address (with an IPv6 zone, `fe80::1%eth0`).
    static func isIP(_ s: String) -> Bool {
        guard s.utf8.count <= 64, s.utf8.contains(where: { $0 == 46 || $0 == 58 }) else { return false }
        let u = Array(s.trimmingSpaces.utf8)
        return (ipv4Match(u, at: 0) ?? ipv6Match(u, at: 0))?.upperBound == u.count
    }

    /// The email address around the `@` at `at`: local part before, a domain with a dot after.
    /// Both may hold non-ASCII letters, raw or percent-encoded (`m%C3%BCller`).
    static func emailMatch(_ u: [UInt8], at: Int) -> Range<Int>? {
        guard at > 0, at < u.count - 1, u[at] == 64 else { return nil }
        var lo = at
        while lo > 0 {
            if isLocal(u[lo - 1]) { lo -= 1 } else if u[lo - 1] >= 0x80, let s = wordScalarStart(u, before: lo) { lo = s } else { break }
        }
        var hi = at + 1
        while hi < u.count {
            if isDomain(u[hi]) { hi += 1; continue }
            if u[hi] >= 0x80 {
                let n = wordScalarLength(u, at: hi)
                if n > 0 { hi += n; continue }
            }
            // A percent-encoded UTF-8 byte of an internationalised domain.
            if u[hi] == 37, hi + 2 < u.count, (56...57).contains(u[hi + 1]) || (65...70).contains(u[hi + 1] & 0xDF), isHex(u[hi + 2]) {
                hi += 3
                continue
            }
            break
        }
        while hi > at + 1, u[hi - 1] == 46 || u[hi - 1] == 45 { hi -= 1 }
        guard lo < at, hi > at + 1 else { return nil }
        let domain = u[(at + 1)..<hi]
        guard let dot = domain.lastIndex(of: 46), dot > at + 1, hi - dot > 2 else { return nil }
        return lo..<hi
    }

    /// An IPv4 address starting at `i` (four numbers 0–255 joined by dots), not inside a longer
    /// run of numbers and dots (`1.2.3.4.5` is a version); after a name (`host.198.51.100.7`) it is one.
    static func ipv4Match(_ u: [UInt8], at start: Int) -> Range<Int>? {
        if start > 0, isDigit(u[start - 1]) || (u[start - 1] == 46 && (start == 1 || isDigit(u[start - 2]))) { return nil }
        var i = start
        for part in 0..<4 {
            var n = 0, digits = 0
            while i < u.count, isDigit(u[i]), digits < 4 { n = n * 10 + Int(u[i] - 48); digits += 1; i += 1 }
            guard digits > 0, digits <= 3, n <= 255 else { return nil }
            if part < 3 {
                guard i < u.count, u[i] == 46 else { return nil }
                i += 1
            }
        }
        if i < u.count, isDigit(u[i]) || (u[i] == 46 && i + 1 < u.count && isDigit(u[i + 1])) { return nil }
        return start..<i
    }

    /// An IPv6 address starting at `start`: hex groups of 1–4 digits joined by `:`, eight of
    /// them or fewer with one `::`, the last two possibly an IPv4 address (`::ffff:192.0.2.1`),
    /// then an optional zone (`%eth0`, `%25eth0`). Not inside a word or a longer run, so
    /// `10:20:30`, `aa:bb:cc:dd:ee:ff`, `std::vector` and `12:34:56.789` are not addresses. An
    /// address after an encoded `[` (`%5B`) is found too, and one followed by a port
    /// (`2001:db8:0:0:0:0:0:7:443`, as load balancers write `client:port`).
    static func ipv6Match(_ u: [UInt8], at start: Int) -> Range<Int>? {
        if start > 0 {
            let p = u[start - 1]
            let afterBracket = start >= 3 && u[start - 3] == 37 && u[start - 2] == 53 && p | 0x20 == 98
            if (isAlnum(p) || p == 58 || p == 46 || p == 95) && !afterBracket { return nil }
        }
        var i = start, groups = 0, double = false
        if i + 1 < u.count, u[i] == 58, u[i + 1] == 58 { double = true; i += 2 }
        while i < u.count, groups < 8 {
            if groups <= 6, isDigit(u[i]), let m = ipv4Match(u, at: i) {
                i = m.upperBound
                groups += 2
                break
            }
            var digits = 0
            while i + digits < u.count, isHex(u[i + digits]) { digits += 1 }
            guard digits > 0 else { break }
            guard digits <= 4 else { return nil }
            i += digits
            groups += 1
            // Eight groups make a whole address: a `:` after them starts a port (`…:7334:443`).
            guard groups < 8, i + 1 < u.count, u[i] == 58, isHex(u[i + 1]) || u[i + 1] == 58 else { break }
            if u[i + 1] == 58 {
                guard !double else { return nil }
                double = true
                i += 2
            } else {
                i += 1
            }
        }
        guard double ? (groups >= 1 && groups <= 7) : groups == 8 else { return nil }
        if i < u.count, isAlnum(u[i]) || u[i] == 46 && i + 1 < u.count && isDigit(u[i + 1]) { return nil }
        // A zone, unless it is an encoded `]` (`%5D`).
        if i + 1 < u.count, u[i] == 37, isAlnum(u[i + 1]), !(i + 2 < u.count && u[i + 1] == 53 && u[i + 2] | 0x20 == 100) {
            i += 1
            while i < u.count, isAlnum(u[i]) || u[i] == 46 || u[i] == 95 || u[i] == 45 || u[i] == 126 { i += 1 }
        }
        return start..<i
    }

    /// `s` with each email and IP address replaced by its pseudonym; nil when it has none.
    /// URL-encoded `@` and `:` (`%40`, `%3A`) are decoded to look for addresses, so `a%40b.com`
    /// is found too; every byte outside an address is kept as read, escapes included.
    /// `shape`: the value's `Shape` when the caller has it already.
    static func replace(_ s: String, policy: PIIPolicy, shape: Shape? = nil) -> String? {
        let shape = shape ?? Shape(s)
        guard shape.mayHoldText else { return nil }
        return replace(Array(s.utf8), escaped: shape.escaped, policy: policy).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `replace` for bytes that need not be UTF-8 (a rejected line).
    static func replace(bytes: [UInt8], policy: PIIPolicy) -> [UInt8]? {
        let shape = bytes.withUnsafeBufferPointer(Shape.init(bytes:))
        guard shape.mayHoldText else { return nil }
        return replace(bytes, escaped: shape.escaped, policy: policy)
    }

    /// Looks for addresses in `text` with `%40` / `%3A` decoded (`escaped`: it has some) and
    /// copies `text` to the result, each address's original bytes replaced by its pseudonym (of
    /// the decoded address). Allocates only when it finds one.
    static func replace(_ text: [UInt8], escaped: Bool, policy: PIIPolicy) -> [UInt8]? {
        var u = text
        // The positions in `u` of the decoded bytes, ascending: each stands for three bytes of `text`.
        var escapes: [Int] = []
        if escaped {
            u = []
            u.reserveCapacity(text.count)
            var i = 0
            while i < text.count {
                if text[i] == 37, i + 2 < text.count, let b = escapedByte(text[i + 1], text[i + 2]) {
                    escapes.append(u.count)
                    u.append(b)
                    i += 3
                } else {
                    u.append(text[i])
                    i += 1
                }
            }
        }
        // The offset in `text` of position `k` of `u`: two more for each decoded byte before it.
        func original(_ k: Int) -> Int {
            var lo = 0, hi = escapes.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if escapes[mid] < k { lo = mid + 1 } else { hi = mid }
            }
            return k + 2 * lo
        }
        var out: [UInt8] = []
        var copied = 0, done = 0   // `text` copied to `out` up to `copied`; `u` replaced up to `done`
        // Replaces `u[m]`, or its part after the last replacement: an email's local part may
        // reach back into an address just replaced (`1.2.3.4@example.com`).
        func put(_ m: Range<Int>, _ pseudonym: String) {
            if done == 0 { out.reserveCapacity(text.count + 64) }
            let start = original(max(m.lowerBound, done))
            out.append(contentsOf: text[copied..<start])
            out.append(contentsOf: pseudonym.utf8)
            copied = original(m.upperBound)
            done = m.upperBound
        }
        var i = 0
        while i < u.count {
            if u[i] == 64, let m = emailMatch(u, at: i) {
                put(m, policy.email(String(decoding: u[m], as: UTF8.self)))
                i = done
            } else if isHex(u[i]) || u[i] == 58, let m = (isDigit(u[i]) ? ipv4Match(u, at: i) : nil) ?? ipv6Match(u, at: i) {
                put(m, policy.ip(String(decoding: u[m], as: UTF8.self)))
                i = done
            } else {
                i += 1
            }
        }
        guard done > 0 else { return nil }
        out.append(contentsOf: text[copied...])
        return out
    }
}

extension PIIPolicy {
    /// Replaces the emails and IPs of a chunk's touchpoints and rejected lines in place (no copy
    /// of the arrays); false when the mode is `.refuse` and one holds any.
    public func applyAll(_ chunk: inout ChunkResult) -> Bool {
        switch mode {
        case .clear: return true
        case .refuse:
            var probe = chunk.batch
            if PIIScrubber(policy: PIIPolicy(.pseudonymise(key: [0]))).scrub(&probe) { return false }
        case .pseudonymise, .withhold:
            _ = PIIScrubber(policy: self).scrub(&chunk.batch)
        }
        for i in chunk.rejects.indices where !apply(&chunk.rejects[i]) { return false }
        return true
    }
}
