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
        "time": "StartUTC|time|time_iso8601|time_local|timestamp|@timestamp|msec|ts",
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

    /// One role's alternatives, resolved once.
    struct Role: Sendable {
        var paths: [String]
        init(_ path: String?) {
            paths = (path ?? "").split(separator: "|").map(String.init).filter { !$0.isEmpty }
        }
    }

    let time, ip, method, uri, request, path, query, status, referrer, agent, cookie: Role
    let visitor, customer, user, seconds, millis, nanos: Role
    let timeFormat: String
    let timezoneOffset: Int
    let identity: IdentityOptions
    var builder: WebRecordBuilder
    /// The current line's record (its storage reused from line to line).
    var record = WebRecord()

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
        timezoneOffset = options.timezoneOffset
        identity = options.identity
        builder = WebRecordBuilder(options: options)
    }

    /// A JSON object line that mentions a status key and a URI-ish key.
    static func sniff(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard JSONLine.looksLikeJSON(b), b.first(where: { $0 != 32 && $0 != 9 }) == 123 else { return false }
        let hasStatus = ["status", "DownstreamStatus", "response_status", "status_code"].contains { JSONLine.mentions(b, $0) }
        guard hasStatus else { return false }
        return ["request_uri", "uri", "RequestPath", "request"].contains { JSONLine.mentions(b, $0) }
    }

    // MARK: - Field access

    /// The first alternative's value that is present and usable.
    func value(_ role: Role, _ rec: JSONValue) -> JSONValue? {
        for p in role.paths {
            guard let v = rec.at(path: p) else { continue }
            switch v {
            case .null, .array, .object: continue
            case .string(let s) where s.isEmpty || s == "-": continue
            default: return v
            }
        }
        return nil
    }

    func text(_ role: Role, _ rec: JSONValue) -> String? { value(role, rec)?.text }

    /// The first alternative that holds a real identity (not a placeholder).
    func identityText(_ role: Role, _ rec: JSONValue) -> String? {
        for p in role.paths {
            if let t = rec.at(path: p)?.text, let v = identity.clean(t) { return v }
        }
        return nil
    }

    static func describe(_ role: Role) -> String { role.paths.joined(separator: "|") }

    // MARK: - Reading

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        let rec: JSONValue
        switch JSONLine.parse(line) {
        case .success(let v): rec = v
        case .failure(let e): return .rejected(.badJSON, "not JSON: \(e)")
        }
        guard case .object = rec else { return .rejected(.badJSON, "the line is JSON but not an object") }

        record.reset()
        guard let tv = value(time, rec) else {
            return .rejected(.badTimestamp, "no time field (fields.time: \(Self.describe(time)))")
        }
        guard let t = TimeField.parse(tv, format: timeFormat, offset: timezoneOffset) else {
            return .rejected(.badTimestamp, "time \"\(tv.text ?? "")\" is not a \(timeFormat) time")
        }
        record.time = t

        // Target: uri (+ query), else the request line, else path + query.
        let q = text(query, rec)
        if let u = text(uri, rec) {
            record.target = record.decode { out in
                out.appendUTF8(u)
                if let q, !u.utf8.contains(63) { out.append(63); out.appendUTF8(q) }
            }
        } else if let requestLine = text(request, rec), let target = Self.requestTarget(requestLine) {
            record.target = record.append(target)
        } else if let p = text(path, rec) {
            record.target = record.decode { out in
                out.appendUTF8(p)
                if let q { out.append(63); out.appendUTF8(q) }
            }
        } else {
            return .rejected(.malformed, "no request URI (fields.uri: \(Self.describe(uri)); fields.path: \(Self.describe(path)))")
        }

        if let sv = value(status, rec) {
            guard let s = Self.statusCode(sv) else {
                return .rejected(.malformed, "status \"\(sv.text ?? "")\" is not an HTTP status")
            }
            record.status = s
        }
        if let v = text(referrer, rec) { record.referrer = record.append(v) }
        if let v = text(agent, rec) { record.userAgent = record.append(v) }
        if let v = identityText(visitor, rec), let name = identity.visitorCookies.first {
            record.cookies.append(.single(name: record.append(name), value: record.append(v), encoded: false))
        }
        if let header = text(cookie, rec) { record.cookies.append(.header(record.append(header), trimSeparators: false)) }
        if let v = identityText(customer, rec) ?? identityText(user, rec) { record.user = record.append(v) }
        record.responseTimeMs = responseTime(rec)
        if let v = text(ip, rec), !v.isEmpty { record.clientIP = record.append(v) }
        return builder.build(record, line: line, origin: origin, into: &out)
    }

    /// Response time in whole milliseconds from the first unit role that is present, saturated
    /// at the ends of `Int64` for the builder's range check; nil when it is not a number.
    func responseTime(_ rec: JSONValue) -> Int64? {
        let ms: Double
        if let v = value(seconds, rec)?.double {
            ms = v * 1000
        } else if let v = value(millis, rec)?.double {
            ms = v
        } else if let v = value(nanos, rec)?.double {
            ms = v / 1_000_000
        } else {
            return nil
        }
        guard !ms.isNaN else { return nil }
        return ms >= 0x1p63 ? .max : ms <= -0x1p63 ? .min : Int64(ms.rounded())
    }

    /// An HTTP status from a JSON number or text: a whole number (0: none logged), saturated at
    /// the ends of `Int` for the builder's range check.
    static func statusCode(_ v: JSONValue) -> Int? {
        v.text.flatMap { NumberRange.integer($0.trimmingSpaces) }
    }

    /// The target of a request line `METHOD target PROTOCOL` (the protocol may be missing).
    static func requestTarget(_ line: String) -> String? {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2 else { return nil }
        return String(parts[1])
    }
}
