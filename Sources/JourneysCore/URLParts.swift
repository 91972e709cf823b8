/// URL helpers that work on bytes: split a request target, decode a query, find a host.
public enum URLParts {
    /// Click-id parameters recognised in URLs, in the order they are looked for.
    public static let clickIDNames: [String] = ["gclid", "gbraid", "wbraid", "dclid", "fbclid", "msclkid", "ttclid", "twclid", "li_fat_id", "yclid"]

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }

    /// Appends `b` percent-decoded (and `+` as space when `plusAsSpace`) to `out`. If the decoded
    /// bytes are not valid UTF-8, `b` is appended as it is, so no byte is silently replaced.
    /// `b` is valid UTF-8 (a slice of a checked line, or text decoded before).
    public static func percentDecode(_ b: UnsafeBufferPointer<UInt8>, plusAsSpace: Bool, into out: inout [UInt8]) {
        let start = out.count
        var high = false
        var i = 0, run = 0 // bytes from `run` to `i` are copied as they are, in one append
        while i < b.count {
            let c = b[i]
            guard c == 37 || (plusAsSpace && c == 43) else { i += 1; continue }
            if run < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[run..<i])) }
            if c == 37, i + 2 < b.count, let h = hexValue(b[i + 1]), let l = hexValue(b[i + 2]) {
                let d = h << 4 | l
                high = high || d >= 0x80
                out.append(d)
                i += 3
            } else {
                out.append(c == 43 && plusAsSpace ? 32 : c)
                i += 1
            }
            run = i
        }
        if run < b.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[run...])) }
        // Only a decoded byte of 0x80 or more can make the bytes invalid.
        if high, !out.withUnsafeBufferPointer({ isValidUTF8(UnsafeBufferPointer(rebasing: $0[start...])) }) {
            out.removeSubrange(start...)
            out.append(contentsOf: b)
        }
    }

    /// Percent-decodes `b` (and `+` as space when `plusAsSpace`). If the decoded bytes are not
    /// valid UTF-8 the text is returned undecoded, so no byte is silently replaced.
    public static func percentDecode(_ b: UnsafeBufferPointer<UInt8>, plusAsSpace: Bool) -> String {
        var needs = false
        for c in b where c == 37 || (plusAsSpace && c == 43) { needs = true; break }
        if !needs { return String(decoding: b, as: UTF8.self) }
        var out = [UInt8]()
        out.reserveCapacity(b.count)
        percentDecode(b, plusAsSpace: plusAsSpace, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func percentDecode(_ s: String, plusAsSpace: Bool) -> String {
        var s = s
        return s.withUTF8 { percentDecode($0, plusAsSpace: plusAsSpace) }
    }

    /// True when `b` is valid UTF-8.
    public static func isValidUTF8(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = b.makeIterator()
        while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// Calls `body` with the raw name and value of each parameter of a query `a=1&b=x+y&flag`
    /// (the value empty when there is no `=`; empty parameters are left out), in order.
    @inline(__always)
    public static func forEachParameter(_ b: UnsafeBufferPointer<UInt8>,
                                        _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        var i = 0
        while i <= b.count {
            if i == b.count || b[i] == 38 {
                if i > start {
                    let part = UnsafeBufferPointer(rebasing: b[start..<i])
                    if let eq = part.firstIndex(of: 61) {
                        body(UnsafeBufferPointer(rebasing: part[..<eq]), UnsafeBufferPointer(rebasing: part[(eq + 1)...]))
                    } else {
                        body(part, UnsafeBufferPointer(rebasing: part[part.count...]))
                    }
                }
                start = i + 1
            }
            i += 1
        }
    }

    /// Decodes `a=1&b=x+y` into name / value pairs (`+` is a space; names keep their case).
    public static func decodeQuery(_ b: UnsafeBufferPointer<UInt8>) -> [QueryParam] {
        var out: [QueryParam] = []
        forEachParameter(b) { name, value in
            out.append(QueryParam(percentDecode(name, plusAsSpace: true), percentDecode(value, plusAsSpace: true)))
        }
        return out
    }

    /// Splits a request target or URL into its path and raw query (fragment dropped). For an
    /// absolute URL (`https://host/path?q`), the scheme and authority are removed first.
    public static func split(_ raw: UnsafeBufferPointer<UInt8>) -> (path: UnsafeBufferPointer<UInt8>, query: UnsafeBufferPointer<UInt8>?) {
        var b = raw
        if let hash = b.firstIndex(of: 35) { b = UnsafeBufferPointer(rebasing: b[..<hash]) }
        if let authorityEnd = authorityRange(b)?.upperBound {
            b = UnsafeBufferPointer(rebasing: b[authorityEnd...])
        }
        if let q = b.firstIndex(of: 63) {
            return (UnsafeBufferPointer(rebasing: b[..<q]), UnsafeBufferPointer(rebasing: b[(q + 1)...]))
        }
        return (b, nil)
    }

    /// The range of `//authority` in an absolute URL (after `scheme:`), if any.
    static func authorityRange(_ b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        if let r = schemeAuthorityRange(b) { return r }
        // No scheme, as some logs and proxies write a referrer: `//host/…` (protocol-relative),
        // or `host.tld/…` — host bytes up to the first `/`, `?` or `#`, with a dot among them. A
        // relative path, `-` or a word without a dot is no host.
        var start = 0
        if b.count > 2, b[0] == 47, b[1] == 47 { start = 2 }
        var j = start, dot = false
        while j < b.count, b[j] != 47, b[j] != 63, b[j] != 35 {
            let c = b[j] | 0x20
            guard (97...122).contains(c) || b[j] &- 48 < 10 || b[j] == 45 || b[j] == 46 || b[j] == 58 || b[j] == 64
                    || b[j] == 91 || b[j] == 93 || b[j] == 95 else { return nil }
            if b[j] == 46 { dot = true }
            j += 1
        }
        guard j > start, start == 2 || dot, b[start] != 46 else { return nil }
        return start..<j
    }

    /// The authority of `scheme://authority…`, nil without a scheme.
    static func schemeAuthorityRange(_ b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var i = 0
        while i < b.count, i < 16 {
            let c = b[i] | 0x20
            if c == 58 { break } // ':'
            guard (97...122).contains(c) || (i > 0 && (b[i] == 43 || b[i] == 45 || b[i] == 46 || b[i] &- 48 < 10)) else { return nil }
            i += 1
        }
        guard i > 0, i + 2 < b.count, b[i] == 58, b[i + 1] == 47, b[i + 2] == 47 else { return nil }
        var j = i + 3
        while j < b.count, b[j] != 47, b[j] != 63, b[j] != 35 { j += 1 }
        return (i + 3)..<j
    }

    /// Appends the lower-cased host of an absolute URL (no user info, no port) to `out`, or of a
    /// URL written without its scheme (`//host/…`, `host.tld/…`); false (nothing appended) for
    /// `-`, empty or relative. `b` is valid UTF-8.
    public static func host(_ b: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        guard let r = authorityRange(b), !r.isEmpty else { return false }
        var a = UnsafeBufferPointer(rebasing: b[r])
        if let at = a.lastIndex(of: 64) { a = UnsafeBufferPointer(rebasing: a[(at + 1)...]) }
        var end = a.count
        if a.first == 91 { // [ipv6]
            if let close = a.firstIndex(of: 93) { end = close + 1 }
        } else if let colon = a.firstIndex(of: 58) {
            end = colon
        }
        guard end > 0 else { return false }
        for c in a[..<end] { out.append(c &- 65 < 26 ? c | 0x20 : c) }
        return true
    }

    /// The lower-cased host of an absolute URL (no user info, no port); nil for `-`, empty or relative.
    public static func host(_ b: UnsafeBufferPointer<UInt8>) -> String? {
        var out: [UInt8] = []
        guard host(b, into: &out) else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    public static func host(_ s: String) -> String? {
        var s = s
        return s.withUTF8 { host($0) }
    }

    /// Fills a touchpoint's path, query, campaign and click id from a request target or URL.
    public static func apply(_ target: UnsafeBufferPointer<UInt8>, to t: inout Touchpoint) {
        let (path, query) = split(target)
        t.path = path.isEmpty ? "/" : percentDecode(path, plusAsSpace: false)
        if let query, !query.isEmpty {
            t.query = decodeQuery(query)
            applyQueryFields(to: &t)
        }
    }

    public static func apply(_ target: String, to t: inout Touchpoint) {
        var s = target
        s.withUTF8 { apply($0, to: &t) }
    }

    /// Sets the campaign and click id from the touchpoint's decoded query (`utm_*`, click ids).
    public static func applyQueryFields(to t: inout Touchpoint) {
        for p in t.query where !p.value.isEmpty {
            var name = p.name
            switch name.withUTF8({ queryField($0) }) {
            case .source: t.campaign.source = p.value
            case .medium: t.campaign.medium = p.value
            case .campaign: t.campaign.name = p.value
            case .term: t.campaign.term = p.value
            case .content: t.campaign.content = p.value
            case .clickID(let k): if t.clickID == nil { t.clickID = ClickID(kind: clickIDNames[k], value: p.value) }
            case nil: break
            }
        }
    }

    /// Writes a request target's or URL's path, query parameters, campaign and click id into
    /// the buffer's current row, as `apply(_:to:)` does into a touchpoint (`scratch` is reused
    /// for the decoded text).
    public static func apply(_ target: UnsafeBufferPointer<UInt8>, into out: inout TouchpointBuffer, scratch: inout [UInt8]) {
        let (path, query) = split(target)
        scratch.removeAll(keepingCapacity: true)
        if path.isEmpty { scratch.append(47) } else { percentDecode(path, plusAsSpace: false, into: &scratch) }
        scratch.withUnsafeBufferPointer { out.setPath($0) }
        guard let query, !query.isEmpty else { return }
        let row = out.count - 1
        forEachParameter(query) { rawName, rawValue in
            scratch.removeAll(keepingCapacity: true)
            percentDecode(rawName, plusAsSpace: true, into: &scratch)
            let nameEnd = scratch.count
            percentDecode(rawValue, plusAsSpace: true, into: &scratch)
            scratch.withUnsafeBufferPointer { s in
                let name = UnsafeBufferPointer(rebasing: s[..<nameEnd]), value = UnsafeBufferPointer(rebasing: s[nameEnd...])
                out.addQuery(name: name, value: value)
                guard !value.isEmpty else { return }
                switch queryField(name) {
                case .source: out.setValue(\.source, value)
                case .medium: out.setValue(\.medium, value)
                case .campaign: out.setValue(\.campaign, value)
                case .term: out.setValue(\.term, value)
                case .content: out.setValue(\.content, value)
                case .clickID(let k):
                    guard out.columns.clickKind[row] == 0 else { return }
                    out.setValue(\.clickKind, clickIDNames[k])
                    out.setValue(\.clickValue, value)
                case nil: break
                }
            }
        }
    }

    /// What a query parameter sets: a campaign field (`utm_source` …) or a click id (the index of
    /// its kind in `clickIDNames`).
    public enum QueryField: Equatable, Sendable {
        case source, medium, campaign, term, content
        case clickID(Int)
    }

    /// The field a query parameter sets, by its decoded name in any case (Unicode lower-casing,
    /// as `String.lowercased`); nil for any other parameter.
    public static func queryField(_ name: UnsafeBufferPointer<UInt8>) -> QueryField? {
        // Only names that could match are lower-cased (utm_* and the click ids are short).
        guard name.count >= 4, name.count <= 12 else { return nil }
        if name.contains(where: { $0 >= 0x80 }) {
            // Rare: a non-ASCII letter may lower-case to ASCII (the Kelvin sign to `k`).
            var lower = String(decoding: name, as: UTF8.self).lowercased()
            return lower.withUTF8 { $0.contains(where: { $0 >= 0x80 }) ? nil : queryField(lowercased: $0) }
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 12) { buffer in
            for (k, c) in name.enumerated() { buffer[k] = c &- 65 < 26 ? c | 0x20 : c }
            return queryField(lowercased: UnsafeBufferPointer(rebasing: buffer[..<name.count]))
        }
    }

    static let campaignNames: [(String, QueryField)] =
        [("utm_source", .source), ("utm_medium", .medium), ("utm_campaign", .campaign), ("utm_term", .term), ("utm_content", .content)]

    static func queryField(lowercased n: UnsafeBufferPointer<UInt8>) -> QueryField? {
        for (name, field) in campaignNames where name.utf8.count == n.count && name.utf8.elementsEqual(n) { return field }
        for (k, name) in clickIDNames.enumerated() where name.utf8.count == n.count && name.utf8.elementsEqual(n) { return .clickID(k) }
        return nil
    }
}

/// FNV-1a, 64 bit: a fixed hash (unlike Swift's per-process seeded `Hasher`) for keys that must
/// be the same on every run and every machine.
public struct FNV1a64: Sendable {
    public var value: UInt64 = 0xcbf2_9ce4_8422_2325
    public init() {}
    @inlinable public mutating func combine(_ bytes: UnsafeBufferPointer<UInt8>) {
        var h = value
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        value = h
    }
    public mutating func combine(_ s: String) {
        var s = s
        s.withUTF8 { combine($0) }
    }
    public mutating func combine(byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
    /// 16 lower-case hex digits.
    public var hex: String {
        var out: [UInt8] = []
        appendHex(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the 16 lower-case hex digits of `value` to `out`.
    public func appendHex(to out: inout [UInt8]) {
        for shift in stride(from: 60, through: 0, by: -4) {
            let d = UInt8(truncatingIfNeeded: value >> UInt64(shift)) & 15
            out.append(d < 10 ? 48 + d : 87 + d)
        }
    }
}
