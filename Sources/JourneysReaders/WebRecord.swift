import JourneysCore

/// The raw pieces of one web request, as any web reader (nginx, JSON access, W3C) finds them.
///
/// Readers fill what their format has and call `WebRecordBuilder.build`, so the meaning of a web
/// request (bots, static assets, identity keys, the visitor fallback, order values) is decided in
/// one place for every web format. Byte fields point into the line being read.
public struct WebRecord {
    public var time: Int64? = nil
    public var clientIP: UnsafeBufferPointer<UInt8>? = nil
    public var method: UnsafeBufferPointer<UInt8>? = nil
    /// Request target (`/path?query`) or absolute URL.
    public var target: UnsafeBufferPointer<UInt8>? = nil
    /// HTTP status as logged (0: none); the builder range-checks it.
    public var status: Int = 0
    public var referrer: UnsafeBufferPointer<UInt8>? = nil
    public var userAgent: UnsafeBufferPointer<UInt8>? = nil
    /// The whole `Cookie:` header, when logged.
    public var cookieHeader: UnsafeBufferPointer<UInt8>? = nil
    /// Values of individual cookies logged on their own (`$cookie_NAME`), by name.
    public var cookies: [(String, String)] = []
    /// A logged-in user (`$remote_user`, or a user field) — a customer key when not a placeholder.
    public var user: String? = nil
    /// Response time as logged, in milliseconds (saturated at `Int64.max`); the builder range-checks it.
    public var responseTimeMs: Int64? = nil
    /// Decoded strings for formats whose fields need unescaping (they override the byte fields).
    public var targetText: String? = nil
    public var referrerText: String? = nil
    public var userAgentText: String? = nil

    public init() {}
}

/// Turns `WebRecord`s into page-view touchpoints, with a per-reader cache of user-agent verdicts.
public struct WebRecordBuilder: Sendable {
    public let options: ReaderOptions
    var agents = UserAgentCache()
    let assetKeys: Set<UInt64>

    public init(options: ReaderOptions) {
        self.options = options
        assetKeys = Set(options.assetExtensions.filter { $0.utf8.count <= 8 }.map { WebRecordBuilder.key($0.utf8) })
    }

    /// Builds the touchpoint for one request, or says why the line is skipped / rejected. The
    /// status, response time and order value are checked against `NumberRange` here, for every
    /// web format (`out_of_range`).
    public mutating func build(_ r: WebRecord, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        guard let time = r.time else { return .rejected(.badTimestamp, "no time in the record") }
        guard Timestamp.isPlausible(time) else { return .rejected(.badTimestamp, "time \(Timestamp.iso(time)) is out of range") }
        // User agent first: bots are skipped before any other work. Its bytes are hashed once,
        // for the verdict cache and for the IP + user-agent fallback key.
        var uaHash = FNV1a64()
        var verdict = AgentVerdict(isBot: false, device: .unknown)
        func classify(_ ua: UnsafeBufferPointer<UInt8>) {
            uaHash.combine(ua)
            verdict = agents.classify(bytes: ua, hash: uaHash.value)
        }
        if var text = r.userAgentText {
            text.withUTF8 { classify($0) }
        } else if let ua = r.userAgent {
            classify(ua)
        } else {
            classify(UnsafeBufferPointer(start: nil, count: 0))
        }
        if options.skipBots, verdict.isBot { return .skipped(.bot) }

        // Page views are GET and POST (form posts such as a checkout); HEAD, OPTIONS, PUT, DELETE …
        // are monitors, preflights and API calls, not a person looking at a page.
        if let m = r.method, !m.isEmpty, !WebRecordBuilder.isPageMethod(m) { return .skipped(.ignored) }

        guard NumberRange.isStatus(r.status) else {
            return .rejected(.outOfRange, NumberRange.outside("status", "\(r.status)", NumberRange.status))
        }
        if let ms = r.responseTimeMs, !NumberRange.responseMs.contains(ms) {
            return .rejected(.outOfRange, NumberRange.outside("response time", "\(ms) ms", NumberRange.responseMs))
        }
        var t = Touchpoint(time: time, channel: .web, action: .pageView, origin: origin)
        t.device = verdict.device
        t.status = Int16(r.status)
        t.responseTimeMs = r.responseTimeMs.map { Int32($0) }
        if let text = r.targetText, !text.isEmpty, text != "-" {
            URLParts.apply(text, to: &t)
        } else if let target = r.target, !target.isEmpty, !(target.count == 1 && target[0] == 45) {
            URLParts.apply(target, to: &t)
        } else {
            return .rejected(.malformed, "no request URL")
        }
        if options.skipAssets, let path = t.path, isAsset(path) { return .skipped(.asset) }

        if let rt = r.referrerText { t.referrerHost = URLParts.host(rt) } else if let ref = r.referrer { t.referrerHost = URLParts.host(ref) }

        // Identity keys: cookies, then query parameters, then the logged user.
        let id = options.identity
        for (name, value) in r.cookies {
            if t.keys.visitor == nil, id.visitorCookies.contains(name), let v = id.clean(value) { t.keys.visitor = v }
            if t.keys.customer == nil, id.customerCookies.contains(name), let v = id.clean(value) { t.keys.customer = v }
        }
        if let header = r.cookieHeader {
            // Only the cookies that carry a key become strings.
            CookieHeader.forEach(header) { name, raw in
                let visitor = t.keys.visitor == nil && id.visitorCookies.contains { $0.utf8.elementsEqual(name) }
                let customer = t.keys.customer == nil && id.customerCookies.contains { $0.utf8.elementsEqual(name) }
                guard visitor || customer else { return }
                let value = URLParts.percentDecode(raw, plusAsSpace: false)
                if visitor, let v = id.clean(value) { t.keys.visitor = v }
                if customer, let v = id.clean(value) { t.keys.customer = v }
            }
        }
        for p in t.query {
            if t.keys.customer == nil, id.customerParams.contains(p.name), let v = id.clean(p.value) { t.keys.customer = v }
            if t.keys.email == nil, id.emailParams.contains(p.name), let v = id.cleanEmail(p.value) { t.keys.email = v }
        }
        if t.keys.customer == nil, let v = id.clean(r.user) { t.keys.customer = v }
        if t.keys.visitor == nil, t.keys.customer == nil, t.keys.email == nil {
            guard id.fallbackVisitor else { return .rejected(.missingIdentity, "no visitor cookie, user or email, and the IP + user-agent fallback is off") }
            // hash(ip, 0, ua): the user agent's bytes were hashed first, so combine in that order
            // from a fresh state to keep the key a plain FNV-1a of "ip\0ua".
            var h = FNV1a64()
            if let ip = r.clientIP { h.combine(ip) }
            h.combine(byte: 0)
            if var text = r.userAgentText { text.withUTF8 { h.combine($0) } } else if let ua = r.userAgent { h.combine(ua) }
            t.keys.visitor = "ipua-" + h.hex
            t.keys.visitorIsFallback = true
        }

        if let vp = options.valueParam, let raw = URLParts.value(vp, in: t.query), let v = Double(raw) {
            guard NumberRange.value.contains(v) else {
                return .rejected(.outOfRange, NumberRange.outside("value", JSONLine.cut(raw, 40), NumberRange.value, at: "URL parameter \(vp)"))
            }
            t.value = v
            if let cp = options.currencyParam, let c = URLParts.value(cp, in: t.query), !c.isEmpty { t.currency = c.uppercased() }
        }
        out.emit(t)
        return .emitted(1)
    }

    /// GET or POST, in any case.
    static func isPageMethod(_ m: UnsafeBufferPointer<UInt8>) -> Bool {
        if m.count == 3 { return m[0] | 0x20 == 103 && m[1] | 0x20 == 101 && m[2] | 0x20 == 116 }
        if m.count == 4 { return m[0] | 0x20 == 112 && m[1] | 0x20 == 111 && m[2] | 0x20 == 115 && m[3] | 0x20 == 116 }
        return false
    }

    func isAsset(_ path: String) -> Bool {
        let u = path.utf8
        guard let dot = u.lastIndex(of: 46) else { return false }
        let ext = u[u.index(after: dot)...]
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
    /// Each cookie's name and value, decoded.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> [(String, String)] {
        var out: [(String, String)] = []
        forEach(b) { name, value in
            out.append((String(decoding: name, as: UTF8.self), URLParts.percentDecode(value, plusAsSpace: false)))
        }
        return out
    }

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
}
