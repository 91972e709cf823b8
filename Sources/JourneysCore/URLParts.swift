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

    /// Appends `b` percent-decoded to `out`, as `percentDecode(_:plusAsSpace:)` decodes it.
    public static func percentDecode(_ b: UnsafeBufferPointer<UInt8>, plusAsSpace: Bool, into out: inout [UInt8]) {
        let start = out.count
        var escapedHigh = false
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == 37, i + 2 < b.count, let h = hexValue(b[i + 1]), let l = hexValue(b[i + 2]) {
                out.append(h << 4 | l)
                if h >= 8 { escapedHigh = true }
                i += 3
            } else {
                out.append(plusAsSpace && c == 43 ? 32 : c)
                i += 1
            }
        }
        // Only an escaped byte ≥ 0x80 can make the (valid UTF-8) text invalid.
        if escapedHigh, !isValidUTF8(out[start...]) {
            out.removeSubrange(start...)
            out.append(contentsOf: b)
        }
    }

    /// True when the bytes are valid UTF-8 (as `String(validating:)` judges them).
    static func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    public static func percentDecode(_ s: String, plusAsSpace: Bool) -> String {
        var s = s
        return s.withUTF8 { percentDecode($0, plusAsSpace: plusAsSpace) }
    }

    /// Decodes `a=1&b=x+y` into name / value pairs (`+` is a space; names keep their case).
    public static func decodeQuery(_ b: UnsafeBufferPointer<UInt8>) -> [QueryParam] {
        var out: [QueryParam] = []
        var start = 0
        var i = 0
        while i <= b.count {
            if i == b.count || b[i] == 38 {
                if i > start {
                    let part = UnsafeBufferPointer(rebasing: b[start..<i])
                    if let eq = part.firstIndex(of: 61) {
                        out.append(QueryParam(percentDecode(UnsafeBufferPointer(rebasing: part[..<eq]), plusAsSpace: true),
                                              percentDecode(UnsafeBufferPointer(rebasing: part[(eq + 1)...]), plusAsSpace: true)))
                    } else {
                        out.append(QueryParam(percentDecode(part, plusAsSpace: true), ""))
                    }
                }
                start = i + 1
            }
            i += 1
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

    /// The lower-cased host of an absolute URL (no user info, no port); nil for `-`, empty or relative.
    public static func host(_ b: UnsafeBufferPointer<UInt8>) -> String? {
        guard let raw = hostBytes(b) else { return nil }
        if !raw.contains(where: { $0 &- 65 < 26 || $0 >= 0x80 }) { return String(decoding: raw, as: UTF8.self) }
        var bytes = [UInt8](raw)
        for k in bytes.indices where (65...90).contains(bytes[k]) { bytes[k] |= 0x20 }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The host of an absolute URL as `host(_:)` finds it, before lower-casing.
    public static func hostBytes(_ b: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        guard let r = authorityRange(b), !r.isEmpty else { return nil }
        var a = UnsafeBufferPointer(rebasing: b[r])
        if let at = a.lastIndex(of: 64) { a = UnsafeBufferPointer(rebasing: a[(at + 1)...]) }
        var end = a.count
        if a.first == 91 { // [ipv6]
            if let close = a.firstIndex(of: 93) { end = close + 1 }
        } else if let colon = a.firstIndex(of: 58) {
            end = colon
        }
        guard end > 0 else { return nil }
        return UnsafeBufferPointer(rebasing: a[..<end])
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
            // Only names that could match are lower-cased (utm_* and the click ids are short).
            let n = p.name.utf8
            guard n.count >= 4, n.count <= 12 else { continue }
            let name = p.name.lowercased()
            switch name {
            case "utm_source": t.campaign.source = p.value
            case "utm_medium": t.campaign.medium = p.value
            case "utm_campaign": t.campaign.name = p.value
            case "utm_term": t.campaign.term = p.value
            case "utm_content": t.campaign.content = p.value
            default:
                if t.clickID == nil, clickIDNames.contains(name) {
                    t.clickID = ClickID(kind: name, value: p.value)
                }
            }
        }
    }

    /// The names `applyQueryFields` looks for: the `utm_*` names, then the click ids.
    static let queryFieldNames: [[UInt8]] = (["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"] + clickIDNames)
        .map { Array($0.utf8) }

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
        var start = 0
        for i in 0...query.count where i == query.count || query[i] == 38 {
            defer { start = i + 1 }
            guard i > start else { continue }
            let part = UnsafeBufferPointer(rebasing: query[start..<i])
            scratch.removeAll(keepingCapacity: true)
            let eq = part.firstIndex(of: 61)
            percentDecode(UnsafeBufferPointer(rebasing: part[..<(eq ?? part.count)]), plusAsSpace: true, into: &scratch)
            let nameEnd = scratch.count
            if let eq { percentDecode(UnsafeBufferPointer(rebasing: part[(eq + 1)...]), plusAsSpace: true, into: &scratch) }
            scratch.withUnsafeBufferPointer { s in
                let name = UnsafeBufferPointer(rebasing: s[..<nameEnd]), value = UnsafeBufferPointer(rebasing: s[nameEnd...])
                out.addQuery(name: name, value: value)
                guard !value.isEmpty, name.count >= 4, name.count <= 12, let k = queryField(name) else { return }
                switch k {
                case 0: out.setValue(\.source, value)
                case 1: out.setValue(\.medium, value)
                case 2: out.setValue(\.campaign, value)
                case 3: out.setValue(\.term, value)
                case 4: out.setValue(\.content, value)
                default:
                    guard out.columns.clickKind[row] == 0 else { return }
                    out.setValue(\.clickKind, clickIDNames[k - 5])
                    out.setValue(\.clickValue, value)
                }
            }
        }
    }

    /// The index in `queryFieldNames` of a parameter name, compared lower-cased as
    /// `applyQueryFields` compares it.
    static func queryField(_ name: UnsafeBufferPointer<UInt8>) -> Int? {
        if name.contains(where: { $0 >= 0x80 }) { // Unicode lower-casing, as `String.lowercased`
            let lower = Array(String(decoding: name, as: UTF8.self).lowercased().utf8)
            return queryFieldNames.firstIndex(of: lower)
        }
        return queryFieldNames.firstIndex { n in
            n.count == name.count && zip(n, name).allSatisfy { $0 == ($1 &- 65 < 26 ? $1 | 0x20 : $1) }
        }
    }

    /// The value of the first query parameter called `name`.
    public static func value(_ name: String, in query: [QueryParam]) -> String? {
        query.first(where: { $0.name == name })?.value
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
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 48, count: 16)
        var v = value
        for i in stride(from: 15, through: 0, by: -1) { out[i] = digits[Int(v & 15)]; v >>= 4 }
        return String(decoding: out, as: UTF8.self)
    }
}
