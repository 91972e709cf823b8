import JourneysCore

/// The raw pieces of one web request, as any web reader (nginx, JSON access, W3C) finds them.
///
/// Readers fill what their format has and call `WebRecordBuilder.build`, so the meaning of a web
/// request (bots, static assets, identity keys, the visitor fallback, order values) is decided in
/// one place for every web format. A value is a range of the line being read or, when the format
/// needed it unescaped, decoded or joined, of `decoded`. A reader keeps one record and `reset`s
/// it for each line, so its storage is reused: reading a line makes no `String` and no array.
public struct WebRecord: Sendable {
    /// Where a value lies: a range of the line, or of `decoded`.
    public struct Text: Sendable, Equatable {
        public var start: Int
        public var end: Int
        public var isDecoded: Bool

        /// `range` of the line, or of `decoded` when `decoded`.
        public init(_ range: Range<Int>, decoded: Bool = false) {
            start = range.lowerBound
            end = range.upperBound
            isDecoded = decoded
        }
    }

    /// Where cookies were logged.
    public enum Cookies: Sendable {
        /// A `Cookie:` header (`a=1; b=2`), its values percent-encoded. With `trimSeparators`,
        /// what a log left of the encoded space after each `;` is dropped from the names: leading
        /// `+`s (IIS), then leading `%20`s (CloudFront).
        case header(Text, trimSeparators: Bool)
        /// One cookie logged on its own (`$cookie_NAME`); `encoded`: its value is still percent-encoded.
        case single(name: Text, value: Text, encoded: Bool)
    }

    /// The line's bytes and the record's `decoded` bytes, to read `Text`s from.
    public struct Bytes {
        public let line: UnsafeBufferPointer<UInt8>
        public let decoded: UnsafeBufferPointer<UInt8>

        public subscript(_ t: Text) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: (t.isDecoded ? decoded : line)[t.start..<t.end])
        }

        /// The value's bytes, empty when there is none.
        public subscript(_ t: Text?) -> UnsafeBufferPointer<UInt8> {
            guard let t else { return UnsafeBufferPointer(rebasing: line[0..<0]) }
            return self[t]
        }
    }

    public var time: Int64? = nil
    public var clientIP: Text? = nil
    public var method: Text? = nil
    /// Request target (`/path?query`) or absolute URL.
    public var target: Text? = nil
    /// HTTP status as logged (0: none); the builder range-checks it.
    public var status: Int = 0
    public var referrer: Text? = nil
    public var userAgent: Text? = nil
    /// Cookies logged one by one or in headers the reader decoded, in order; read before
    /// `cookieHeader`, their names compared as `String`s.
    public var cookies: [Cookies] = []
    /// The whole `Cookie:` header as logged, read after `cookies`, names compared byte for byte.
    public var cookieHeader: Text? = nil
    /// A logged-in user (`$remote_user`, or a user field) — a customer key when not a placeholder.
    public var user: Text? = nil
    /// Response time as logged, in milliseconds (saturated at `Int64.max`); the builder range-checks it.
    public var responseTimeMs: Int64? = nil
    /// Bytes of the values that were unescaped, decoded or joined.
    public var decoded: [UInt8] = []

    public init() {}

    /// Empties the record for the next line, keeping its storage.
    public mutating func reset() {
        time = nil; clientIP = nil; method = nil; target = nil; status = 0; referrer = nil; userAgent = nil
        cookies.removeAll(keepingCapacity: true)
        cookieHeader = nil; user = nil; responseTimeMs = nil
        decoded.removeAll(keepingCapacity: true)
    }

    /// Appends `b` to `decoded`.
    public mutating func append(_ b: UnsafeBufferPointer<UInt8>) -> Text {
        decode { $0.append(contentsOf: b) }
    }

    /// Appends the UTF-8 of `s` to `decoded`.
    public mutating func append(_ s: String) -> Text {
        decode { $0.appendUTF8(s) }
    }

    /// The bytes `body` appends to `decoded`.
    public mutating func decode(_ body: (inout [UInt8]) -> Void) -> Text {
        let start = decoded.count
        body(&decoded)
        return Text(start..<decoded.count, decoded: true)
    }
}

/// Turns `WebRecord`s into page-view touchpoints, written into the buffer's columns from bytes,
/// with a per-reader cache of user-agent verdicts.
public struct WebRecordBuilder: Sendable {
    public let options: ReaderOptions
    var agents = UserAgentCache()
    let assetKeys: Set<UInt64>
    let identity: IdentityBytes
    let valueParam: ByteNames?
    let currencyParam: ByteNames?

    // Storage reused from line to line.
    /// The decoded path.
    var path: [UInt8] = []
    /// The decoded query parameters' bytes, and where each name and value lies in them.
    var query: [UInt8] = []
    var parameters: [Parameter] = []
    /// The identity keys found, one after another.
    var keys: [UInt8] = []
    /// A decoded cookie value; the referrer host; the upper-cased currency.
    var cookieValue: [UInt8] = []
    var host: [UInt8] = []
    var currency: [UInt8] = []

    struct Parameter {
        var nameStart: Int
        var valueStart: Int
        var end: Int
    }

    public init(options: ReaderOptions) {
        self.options = options
        assetKeys = Set(options.assetExtensions.filter { $0.utf8.count <= 8 }.map { WebRecordBuilder.key($0.utf8) })
        identity = IdentityBytes(options.identity)
        valueParam = options.valueParam.map { ByteNames([$0]) }
        currencyParam = options.currencyParam.map { ByteNames([$0]) }
    }

    /// Builds the touchpoint for one request, or says why the line is skipped / rejected. The
    /// status, response time and order value are checked against `NumberRange` here, for every
    /// web format (`out_of_range`). `line` is the line the record's values point into.
    public mutating func build(_ r: WebRecord, line: UnsafeBufferPointer<UInt8>, origin: Origin,
                               into out: inout TouchpointBuffer) -> LineVerdict {
        r.decoded.withUnsafeBufferPointer { decoded in
            build(r, WebRecord.Bytes(line: line, decoded: decoded), origin, &out)
        }
    }

    mutating func build(_ r: WebRecord, _ b: WebRecord.Bytes, _ origin: Origin, _ out: inout TouchpointBuffer) -> LineVerdict {
        guard let time = r.time else { return .rejected(.badTimestamp, "no time in the record") }
        guard Timestamp.isPlausible(time) else { return .rejected(.badTimestamp, "time \(Timestamp.iso(time)) is out of range") }
        // User agent first: bots are skipped before any other work. Its bytes are hashed once,
        // for the verdict cache; the IP + user-agent fallback key hashes them again after the IP.
        let ua = b[r.userAgent]
        var uaHash = FNV1a64()
        uaHash.combine(ua)
        let verdict = agents.classify(bytes: ua, hash: uaHash.value)
        if options.skipBots, verdict.isBot { return .skipped(.bot) }

        // Page views are GET and POST (form posts such as a checkout); HEAD, OPTIONS, PUT, DELETE …
        // are monitors, preflights and API calls, not a person looking at a page.
        if let m = r.method.map({ b[$0] }), !m.isEmpty, !WebRecordBuilder.isPageMethod(m) { return .skipped(.ignored) }

        guard NumberRange.isStatus(r.status) else {
            return .rejected(.outOfRange, NumberRange.outside("status", "\(r.status)", NumberRange.status))
        }
        if let ms = r.responseTimeMs, !NumberRange.responseMs.contains(ms) {
            return .rejected(.outOfRange, NumberRange.outside("response time", "\(ms) ms", NumberRange.responseMs))
        }

        // The URL: path, then (unless a static asset) the query parameters, all decoded.
        let target = b[r.target]
        guard !target.isEmpty, !(target.count == 1 && target[0] == 45) else { return .rejected(.malformed, "no request URL") }
        let (rawPath, rawQuery) = URLParts.split(target)
        path.removeAll(keepingCapacity: true)
        if rawPath.isEmpty { path.append(47) } else { URLParts.percentDecode(rawPath, plusAsSpace: false, into: &path) }
        if options.skipAssets, path.withUnsafeBufferPointer(isAsset) { return .skipped(.asset) }
        query.removeAll(keepingCapacity: true)
        parameters.removeAll(keepingCapacity: true)
        if let rawQuery {
            URLParts.forEachParameter(rawQuery) { name, value in
                let nameStart = query.count
                URLParts.percentDecode(name, plusAsSpace: true, into: &query)
                let valueStart = query.count
                URLParts.percentDecode(value, plusAsSpace: true, into: &query)
                parameters.append(Parameter(nameStart: nameStart, valueStart: valueStart, end: query.count))
            }
        }
        return query.withUnsafeBufferPointer { q in
            row(r, b, q, time: time, device: verdict.device, uaHash: uaHash, origin, &out)
        }
    }

    /// The rest of `build`, with the decoded query parameters' bytes `q`: the identity keys and
    /// the order value decide whether the line gives a touchpoint; then the row is written.
    mutating func row(_ r: WebRecord, _ b: WebRecord.Bytes, _ q: UnsafeBufferPointer<UInt8>, time: Int64, device: DeviceClass,
                      uaHash: FNV1a64, _ origin: Origin, _ out: inout TouchpointBuffer) -> LineVerdict {
        func name(_ p: Parameter) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: q[p.nameStart..<p.valueStart]) }
        func value(_ p: Parameter) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: q[p.valueStart..<p.end]) }

        // Identity keys: cookies, then query parameters, then the logged user; each a range of `keys`.
        let id = identity
        keys.removeAll(keepingCapacity: true)
        var visitor: Range<Int>?, customer: Range<Int>?, email: Range<Int>?
        func keep(_ v: UnsafeBufferPointer<UInt8>, _ clean: Range<Int>) -> Range<Int> {
            let start = keys.count
            keys.append(contentsOf: UnsafeBufferPointer(rebasing: v[clean]))
            return start..<keys.count
        }
        func cookie(_ name: UnsafeBufferPointer<UInt8>, _ raw: UnsafeBufferPointer<UInt8>, encoded: Bool, asString: Bool) {
            let isVisitor = visitor == nil && id.visitorCookies.contains(name, asString: asString)
            let isCustomer = customer == nil && id.customerCookies.contains(name, asString: asString)
            guard isVisitor || isCustomer else { return }
            func take(_ v: UnsafeBufferPointer<UInt8>) {
                guard let clean = id.clean(v) else { return }
                let k = keep(v, clean)
                if isVisitor { visitor = k }
                if isCustomer { customer = k }
            }
            guard encoded else { return take(raw) }
            cookieValue.removeAll(keepingCapacity: true)
            URLParts.percentDecode(raw, plusAsSpace: false, into: &cookieValue)
            cookieValue.withUnsafeBufferPointer { take($0) }
        }
        for c in r.cookies {
            switch c {
            case .header(let h, let trim):
                CookieHeader.forEach(b[h]) { name, raw in
                    cookie(trim ? CookieHeader.trimSeparator(name) : name, raw, encoded: true, asString: true)
                }
            case .single(let name, let value, let encoded):
                cookie(b[name], b[value], encoded: encoded, asString: true)
            }
        }
        if let h = r.cookieHeader {
            CookieHeader.forEach(b[h]) { name, raw in cookie(name, raw, encoded: true, asString: false) }
        }
        for p in parameters {
            if customer == nil, id.customerParams.contains(name(p)), let clean = id.clean(value(p)) { customer = keep(value(p), clean) }
            if email == nil, id.emailParams.contains(name(p)) {
                let start = keys.count
                if id.cleanEmail(value(p), into: &keys) { email = start..<keys.count }
            }
        }
        if customer == nil, let u = r.user, let clean = id.clean(b[u]) { customer = keep(b[u], clean) }
        let fallback = visitor == nil && customer == nil && email == nil
        if fallback {
            guard id.options.fallbackVisitor else {
                return .rejected(.missingIdentity, "no visitor cookie, user or email, and the IP + user-agent fallback is off")
            }
            // A plain FNV-1a of "ip\0ua".
            var h = FNV1a64()
            h.combine(b[r.clientIP])
            h.combine(byte: 0)
            h.combine(b[r.userAgent])
            let start = keys.count
            keys.append(contentsOf: "ipua-".utf8)
            h.appendHex(to: &keys)
            visitor = start..<keys.count
        }

        // The order value and its currency: the first parameter of each name.
        var orderValue: Double?
        var hasCurrency = false
        if let vp = valueParam, let p = parameters.first(where: { vp.contains(name($0)) }) {
            let raw = String(decoding: value(p), as: UTF8.self)
            if let v = Double(raw) {
                guard NumberRange.value.contains(v) else {
                    return .rejected(.outOfRange, NumberRange.outside("value", JSONLine.cut(raw, 40), NumberRange.value,
                                                                      at: "URL parameter \(options.valueParam ?? "")"))
                }
                orderValue = v
                if let cp = currencyParam, let p = parameters.first(where: { cp.contains(name($0)) }), !value(p).isEmpty {
                    currency.removeAll(keepingCapacity: true)
                    let c = value(p)
                    if c.contains(where: { $0 >= 0x80 }) {
                        currency.appendUTF8(String(decoding: c, as: UTF8.self).uppercased())
                    } else {
                        for x in c { currency.append(x &- 97 < 26 ? x & 0xDF : x) }
                    }
                    hasCurrency = true
                }
            }
        }

        // The row. Strings are interned in the order `TouchpointColumns.Row(_:strings:)` interns
        // a touchpoint's, so the chunk's ids are those of an emitted touchpoint.
        out.beginRow(time: time, channel: .web, action: .pageView, origin: origin)
        out.setNumbers(status: Int16(r.status), responseMs: r.responseTimeMs.map { Int32($0) }, device: device, value: orderValue)
        path.withUnsafeBufferPointer { out.setPath($0) }
        if let ref = r.referrer {
            host.removeAll(keepingCapacity: true)
            if URLParts.host(b[ref], into: &host) { host.withUnsafeBufferPointer { out.setValue(\.referrer, $0) } }
        }
        // Campaign fields: the last parameter of each name with a value; the click id: the first.
        var source, medium, campaign, term, content: Parameter?
        var click: (kind: Int, Parameter)?
        for p in parameters where p.end > p.valueStart {
            switch URLParts.queryField(name(p)) {
            case .source: source = p
            case .medium: medium = p
            case .campaign: campaign = p
            case .term: term = p
            case .content: content = p
            case .clickID(let k): if click == nil { click = (k, p) }
            case nil: break
            }
        }
        if let source { out.setValue(\.source, value(source)) }
        if let medium { out.setValue(\.medium, value(medium)) }
        if let campaign { out.setValue(\.campaign, value(campaign)) }
        if let term { out.setValue(\.term, value(term)) }
        if let content { out.setValue(\.content, value(content)) }
        if let (kind, p) = click {
            var name = URLParts.clickIDNames[kind]
            name.withUTF8 { out.setValue(\.clickKind, $0) }
            out.setValue(\.clickValue, value(p))
        }
        if hasCurrency { currency.withUnsafeBufferPointer { out.setValue(\.currency, $0) } }

        keys.withUnsafeBufferPointer { k in
            if let visitor { out.setKey(.visitor, UnsafeBufferPointer(rebasing: k[visitor])) }
            if let customer { out.setKey(.customer, UnsafeBufferPointer(rebasing: k[customer])) }
            if let email { out.setKey(.email, UnsafeBufferPointer(rebasing: k[email])) }
        }
        if fallback { out.setVisitorIsFallback() }
        for p in parameters { out.addQuery(name: name(p), value: value(p)) }
        return .emitted(1)
    }

    /// GET or POST. Methods are case-sensitive (RFC 9110, 9.1): `get` is no GET, and servers
    /// answer it 400 or 405.
    static func isPageMethod(_ m: UnsafeBufferPointer<UInt8>) -> Bool {
        if m.count == 3 { return m[0] == 71 && m[1] == 69 && m[2] == 84 }
        if m.count == 4 { return m[0] == 80 && m[1] == 79 && m[2] == 83 && m[3] == 84 }
        return false
    }

    func isAsset(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let dot = path.lastIndex(of: 46) else { return false }
        let ext = path[(dot + 1)...]
        guard ext.count <= 8, !ext.contains(47) else { return false }
        return assetKeys.contains(WebRecordBuilder.key(ext))
    }

    /// A lower-cased extension of up to eight bytes packed into an integer (no `String` per line).
    static func key<C: Collection>(_ ext: C) -> UInt64 where C.Element == UInt8 {
        var k: UInt64 = 0
        for c in ext { k = k << 8 | UInt64(c &- 65 < 26 ? c | 0x20 : c) }
        return k
    }
}

/// Parses a `Cookie:` header (`a=1; b=2`).
public enum CookieHeader {
    /// Calls `body` with each cookie's name and raw value (without surrounding `"`), in order.
    @inline(__always)
    public static func forEach(_ b: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        for i in 0...b.count where i == b.count || b[i] == 59 {
            var s = start
            while s < i, b[s] == 32 { s += 1 }
            if s < i, let eq = b[s..<i].firstIndex(of: 61) {
                var vs = eq + 1, ve = i
                if ve - vs >= 2, b[vs] == 34, b[ve - 1] == 34 { vs += 1; ve -= 1 }
                body(UnsafeBufferPointer(rebasing: b[s..<eq]), UnsafeBufferPointer(rebasing: b[vs..<ve]))
            }
            start = i + 1
        }
    }

    /// A name without what a log left of the encoded space after `;`: leading `+`s (IIS), then
    /// leading `%20`s (CloudFront).
    public static func trimSeparator(_ name: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var s = 0
        while s < name.count, name[s] == 43 { s += 1 }
        while s + 3 <= name.count, name[s] == 37, name[s + 1] == 50, name[s + 2] == 48 { s += 3 }
        return UnsafeBufferPointer(rebasing: name[s...])
    }
}
