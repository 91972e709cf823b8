import JourneysCore

/// Reads JSON access logs, one object per line: nginx `log_format … escape=json`, Caddy's
/// access log and Traefik's JSON access log out of the box, anything else through `fields:`.
///
/// Each role is a field name or dotted path, with `|` alternatives; the first alternative that
/// holds a usable value (not null, not `""`, not `-`; for identity roles, not a placeholder)
/// wins. Defaults are in `defaultPaths`.
///
/// - Target: `uri` (path + query, or a full URL); when it has no `?`, a `query` field is
///   appended (nginx `$uri` + `$args`). Without `uri`, the `request` line (`GET /x?y HTTP/1.1`)
///   gives it, and then `path` + `query`.
/// - Time via `TimeField` with the source's `time_format` and `timezone` (an offset): ISO-8601
///   (Traefik `StartUTC`, nginx `$time_iso8601`), common-log (`$time_local`), epoch seconds as a
///   number or text (Caddy `ts`, nginx `$msec`).
/// - Status as a number or a string (`"status":"$status"`).
/// - nginx's `\xNN` escapes are read in strings (a JSON-shaped log_format without `escape=json`
///   writes `"` as `\x22` and bytes outside ASCII as `\xNN`).
/// - Response time has one role per unit, first present wins, rounded to whole milliseconds:
///   `response_time` in seconds (nginx `$request_time`, Caddy `duration`, which is a float of
///   seconds unless Caddy's `duration_format` says otherwise), `response_time_ms` in
///   milliseconds, `response_time_ns` in nanoseconds (Traefik `Duration`, an integer).
/// - Identity: `cookie` is a whole `Cookie:` header (Caddy only logs it with `log_credentials`;
///   Traefik only with `headers.defaultMode: keep`), read with `identity.visitor_cookies` /
///   `customer_cookies`. `visitor` is a field that holds the visitor cookie's value (nginx
///   `$cookie_visitor_id`; by default the fields named like `identity.visitor_cookies`); it is
///   handed on as the first of `identity.visitor_cookies`, so it counts only while that list is
///   not empty. `customer` (by default `identity.customer_fields`, which includes Caddy's
///   `user_id`) and else `user` (`$remote_user`, Traefik `ClientUsername`) give the customer key.
public struct JSONAccessReader: LogReader {
    public static let format = "json_access"

    /// Default paths per role (`visitor` and `customer` come from the identity options).
    public static let defaultPaths: [String: String] = [
        "time": "StartUTC|time|time_iso8601|time_local|timestamp|@timestamp|msec|ts|date",
        "ip": "client_ip|remote_addr|request.client_ip|request.remote_ip|ClientHost|ip",
        "method": "request_method|request.method|RequestMethod|method",
        "uri": "request_uri|request.uri|RequestPath|url|uri",
        "request": "request",
        "path": "path|request_path",
        "query": "args|query_string|query",
        "status": "status|DownstreamStatus|response_status|status_code",
        "referrer": "http_referer|http_referrer|request.headers.Referer.0|request_Referer|referer|referrer",
        "user_agent": "http_user_agent|request.headers.User-Agent.0|request_User-Agent|user_agent",
        "cookie": "http_cookie|request.headers.Cookie.0|request_Cookie|cookie",
        "visitor": "",
        "customer": "",
        "user": "remote_user|ClientUsername|user",
        "response_time": "request_time|duration",
        "response_time_ms": "response_time_ms|latency_ms|duration_ms",
        "response_time_ns": "Duration",
    ]

    public static let descriptor = ReaderDescriptor(
        name: format, channel: "web",
        summary: "JSON access logs, one object per line (nginx escape=json, Caddy, Traefik)",
        options: "fields (role: JSON path, `|` alternatives, first usable value wins): "
            + defaultPaths.sorted { $0.key < $1.key }.map { role, path in
                switch role {
                case "visitor": return "visitor=<identity.visitor_cookies as field names>"
                case "customer": return "customer=<identity.customer_fields>"
                default: return "\(role)=\(path)"
                }
            }.joined(separator: ", ")
            + "; response_time is seconds, response_time_ms milliseconds, response_time_ns nanoseconds; "
            + "time_format (auto); timezone (UTC, for times without an offset); identity.* (visitor_cookies, customer_cookies, "
            + "customer_params, email_params, customer_fields, fallback_visitor), skip_bots (true), skip_assets (true), "
            + "asset_extensions, value_param (value), currency_param (currency)",
        make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in try JSONAccessReader(options: o) },
        sniff: { JSONAccessReader.sniff($0) })

    /// One role's alternatives, resolved once, and as the pipeline spelled them (for details).
    struct Role: Sendable {
        let path: FieldPath
        let spelled: String
        init(_ path: String?) {
            self.path = FieldPath(path ?? "")
            spelled = path ?? ""
        }
    }

    let time, ip, method, uri, request, path, query, status, referrer, agent, cookie: Role
    let visitor, customer, user, seconds, millis, nanos: Role
    let timeFormat: String
    let timezone: Zone
    var builder: WebRecordBuilder
    /// The current line's record and parsed JSON (their storage reused from line to line).
    var record = WebRecord()
    var tape = JSONTape()
    var watch: FieldWatch
    public var watchedFields: [String] { watch.names }

    public init(options: ReaderOptions = ReaderOptions()) throws(ConfigError) {
        var defaults = Self.defaultPaths
        defaults["visitor"] = options.identity.visitorCookies.joined(separator: "|")
        defaults["customer"] = options.identity.customerFields.joined(separator: "|")
        let map = try FieldMap(defaults: defaults, overrides: options.fields, reader: Self.format)
        guard TimeField.formats.contains(options.timeFormat) else {
            throw ConfigError("time_format", "unknown time format \"\(options.timeFormat)\"; formats: \(TimeField.formats.joined(separator: ", "))")
        }
        let p = map.paths
        time = Role(p["time"]); ip = Role(p["ip"]); method = Role(p["method"]); uri = Role(p["uri"])
        request = Role(p["request"]); path = Role(p["path"]); query = Role(p["query"]); status = Role(p["status"])
        referrer = Role(p["referrer"]); agent = Role(p["user_agent"]); cookie = Role(p["cookie"])
        visitor = Role(p["visitor"]); customer = Role(p["customer"]); user = Role(p["user"])
        seconds = Role(p["response_time"]); millis = Role(p["response_time_ms"]); nanos = Role(p["response_time_ns"])
        timeFormat = options.timeFormat
        timezone = options.timezone
        builder = WebRecordBuilder(options: options)
        watch = FieldWatch(options, map: map)
    }

    /// A JSON object line that mentions a status key and a URI-ish key.
    static func sniff(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard JSONLine.looksLikeJSON(b), b.first(where: { $0 != 32 && $0 != 9 }) == 123 else { return false }
        let hasStatus = ["status", "DownstreamStatus", "response_status", "status_code"].contains { JSONLine.mentions(b, $0) }
        guard hasStatus else { return false }
        return ["request_uri", "uri", "RequestPath", "request"].contains { JSONLine.mentions(b, $0) }
    }

    // MARK: - Field access

    /// The node of the first alternative that is present and usable: a scalar, not null, not
    /// `""` and not `"-"`.
    static func value(_ role: Role, _ doc: JSONDoc) -> Int? {
        role.path.find(in: doc) { i in
            switch doc.kind(i) {
            case .null, .array, .object: return false
            case .string:
                let b = doc.bytes(i)
                return !(b.isEmpty || (b.count == 1 && b[0] == 45))
            default: return true
            }
        }
    }

    /// The text of the first usable alternative (`JSONDoc.text`).
    static func text(_ role: Role, _ doc: JSONDoc) -> UnsafeBufferPointer<UInt8>? {
        value(role, doc).flatMap(doc.text)
    }

    /// The first alternative that holds a real identity (not a placeholder), trimmed.
    func identityText(_ role: Role, _ doc: JSONDoc) -> UnsafeBufferPointer<UInt8>? {
        var found: UnsafeBufferPointer<UInt8>?
        _ = role.path.find(in: doc) { i in
            found = builder.identity.cleaned(doc.text(i))
            return found != nil
        }
        return found
    }

    // MARK: - Reading

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        var tape = JSONTape()
        swap(&tape, &self.tape)
        defer { swap(&tape, &self.tape) }
        // nginx's `\xNN` escapes too: a log_format written as JSON without `escape=json`.
        if let e = JSONLine.parse(line, into: &tape, hexEscapes: true) { return .rejected(.badJSON, "not JSON: \(e)") }
        return tape.withDoc(line) { doc in read(doc, line: line, origin: origin, into: &out) }
    }

    mutating func read(_ doc: JSONDoc, line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        guard doc.kind(0) == .object else { return .rejected(.badJSON, "the line is JSON but not an object") }
        out.fieldsSeen |= watch.see(doc)
        record.reset()
        guard let tv = Self.value(time, doc) else {
            return .rejected(.badTimestamp, "no time field (fields.time: \(time.spelled))")
        }
        guard let t = TimeField.parse(doc, tv, format: timeFormat, zone: timezone) else {
            return .rejected(.badTimestamp, "time \"\(doc.text(tv).map { String(decoding: $0, as: UTF8.self) } ?? "")\" is not a \(timeFormat) time")
        }
        record.time = t

        // Target: uri (+ query), else the request line, else path + query.
        let q = Self.text(query, doc)
        if let u = Self.text(uri, doc) {
            record.target = record.decode { out in
                out.append(contentsOf: u)
                if let q, !u.contains(63) { out.append(63); out.append(contentsOf: q) }
            }
        } else if let requestLine = Self.text(request, doc), let target = Self.requestTarget(requestLine) {
            record.target = record.append(target)
        } else if let p = Self.text(path, doc) {
            record.target = record.decode { out in
                out.append(contentsOf: p)
                if let q { out.append(63); out.append(contentsOf: q) }
            }
        } else {
            return .rejected(.malformed, "no request URI (fields.uri: \(uri.spelled); fields.path: \(path.spelled))")
        }

        if let sv = Self.value(status, doc) {
            guard let s = Self.statusCode(doc, sv) else {
                return .rejected(.malformed, "status \"\(doc.text(sv).map { String(decoding: $0, as: UTF8.self) } ?? "")\" is not an HTTP status")
            }
            record.status = s
        }
        if let v = Self.text(referrer, doc) { record.referrer = record.append(v) }
        if let v = Self.text(agent, doc) { record.userAgent = record.append(v) }
        if let v = identityText(visitor, doc), let name = builder.identity.visitorCookies.first {
            let n = name.withUnsafeBufferPointer { record.append($0) }
            record.cookies.append(.single(name: n, value: record.append(v), encoded: false))
        }
        if let header = Self.text(cookie, doc) { record.cookies.append(.header(record.append(header), trimSeparators: false)) }
        if let v = identityText(customer, doc) ?? identityText(user, doc) { record.user = record.append(v) }
        record.responseTimeMs = responseTime(doc)
        if let v = Self.text(ip, doc), !v.isEmpty { record.clientIP = record.append(v) }
        return builder.build(record, line: line, origin: origin, into: &out)
    }

    /// Response time in whole milliseconds from the first unit role that is present, saturated
    /// at the ends of `Int64` for the builder's range check; nil when it is not a number.
    func responseTime(_ doc: JSONDoc) -> Int64? {
        let ms: Double
        if let v = Self.value(seconds, doc).flatMap(doc.double) {
            ms = v * 1000
        } else if let v = Self.value(millis, doc).flatMap(doc.double) {
            ms = v
        } else if let v = Self.value(nanos, doc).flatMap(doc.double) {
            ms = v / 1_000_000
        } else {
            return nil
        }
        guard !ms.isNaN else { return nil }
        return ms >= 0x1p63 ? .max : ms <= -0x1p63 ? .min : Int64(ms.rounded())
    }

    /// An HTTP status from a JSON number or text: a whole number (0: none logged), saturated at
    /// the ends of `Int` for the builder's range check.
    static func statusCode(_ doc: JSONDoc, _ i: Int) -> Int? {
        doc.text(i).flatMap { NumberRange.integer(String(decoding: $0.trimmingSpaces, as: UTF8.self)) }
    }

    /// The target of a request line `METHOD target PROTOCOL` (the protocol may be missing): the
    /// second of its words between spaces.
    static func requestTarget(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        var word = 0, i = 0
        let n = line.count
        while i < n {
            while i < n, line[i] == 32 { i += 1 }
            guard i < n else { break }
            let start = i
            while i < n, line[i] != 32 { i += 1 }
            if word == 1 { return UnsafeBufferPointer(rebasing: line[start..<i]) }
            word += 1
        }
        return nil
    }
}
