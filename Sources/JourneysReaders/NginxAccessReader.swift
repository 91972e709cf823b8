import JourneysCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads web-server access logs: nginx / Apache `combined`, NCSA `common`, and any nginx
/// `log_format` (`nginx`).
///
/// The log format is compiled once, at `make` time, into literal separators and variables. A
/// line is read in two passes over its bytes: the first cuts it into one span per variable
/// (left to right, each value ending at the next literal, or at the closing unescaped `"` when
/// the variable stands between quotes), the second interprets the spans the format defines.
/// Kept text (target, referrer, user agent, cookies, user) that contains escapes is decoded into
/// the record's reused bytes; everything else stays a view into the line, and no `String` is made. What a request means — bots,
/// static assets, identity keys, order values — is decided by `WebRecordBuilder`.
public struct NginxAccessReader: LogReader {
    public static let format = "nginx"

    /// nginx's predefined `combined` format (Apache's `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`).
    /// The identity column is `$remote_ident` (ignored) rather than nginx's literal `-`, so that
    /// Apache logs with a real ident still read.
    public static let combinedLogFormat =
        #"$remote_addr $remote_ident $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#
    /// The NCSA common log format: combined without referrer and user agent.
    public static let commonLogFormat = #"$remote_addr $remote_ident $remote_user [$time_local] "$request" $status $body_bytes_sent"#

    static let commonOptions = """
        identity.* (visitor_cookies, customer_cookies, customer_params, email_params, fallback_visitor), \
        skip_bots (true), skip_assets (true), asset_extensions, value_param (value), currency_param (currency)
        """

    public static let combinedDescriptor = ReaderDescriptor(
        name: "combined", channel: "web",
        summary: "nginx / Apache combined access logs (host ident user [time] \"request\" status bytes \"referrer\" \"user agent\")",
        options: "no log_format needed; " + commonOptions,
        make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in
            try NginxAccessReader(logFormat: combinedLogFormat, options: o)
        },
        sniff: { sniffCombined($0) })

    public static let commonDescriptor = ReaderDescriptor(
        name: "common", channel: "web",
        summary: "NCSA common log format (host ident user [time] \"request\" status bytes), no referrer or user agent",
        options: "no log_format needed; " + commonOptions,
        make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in
            try NginxAccessReader(logFormat: commonLogFormat, options: o)
        },
        sniff: { sniffCommon($0) })

    public static let customDescriptor = ReaderDescriptor(
        name: "nginx", channel: "web",
        summary: "nginx (or Apache) access logs written with any log_format / LogFormat (given as log_format; default: combined)",
        options: """
            log_format (the nginx log_format string, $name or ${name}; a pasted `log_format name [escape=…] '…' '…';` \
            directive is accepted; default combined): understands $remote_addr, $http_x_forwarded_for, $remote_user, \
            $time_local, $time_iso8601, $msec, $request, $request_method, $request_uri, $uri + $args / $query_string, \
            $arg_NAME, $status, $http_referer, $http_user_agent, $http_cookie, $cookie_NAME, $request_time, \
            $upstream_response_time; other variables are read and ignored; an Apache LogFormat string (%h %l %u %t \
            \"%r\" %>s %b …, %D, %{NAME}C; bare or a pasted `LogFormat "…" name` line) is read as the nginx format it \
            stands for; timezone (UTC, for an $time_iso8601 written without offset);
            """ + " " + commonOptions,
        make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in
            try NginxAccessReader(logFormat: o.logFormat ?? combinedLogFormat, options: o)
        },
        sniff: nil)

    let layout: LogFormatLayout
    var builder: WebRecordBuilder
    /// The current line's record (its storage reused from line to line).
    var record = WebRecord()

    /// Compiles `logFormat`; throws a `ConfigError` (path `log_format`) when it is empty or cannot
    /// split a line (no time or request variable, two variables with nothing between them).
    public init(logFormat: String, options: ReaderOptions = ReaderOptions()) throws(ConfigError) {
        layout = try LogFormatLayout(logFormat)
        builder = WebRecordBuilder(options: options)
    }

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        record.reset()
        if let rejection = layout.extract(line, zone: builder.options.timezone, into: &record) { return rejection }
        return builder.build(record, line: line, origin: origin, into: &out)
    }

    // MARK: - Sniffing

    /// True for a line shaped `HOST IDENT USER [dd/Mon/yyyy:hh:mm:ss +zzzz] "…" STATUS BYTES "…" "…"`.
    static func sniffCombined(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let s = commonLogShape(b) else { return false }
        return s.quotedAfter >= 2
    }

    /// True for a line shaped `HOST IDENT USER [dd/Mon/yyyy:hh:mm:ss +zzzz] "…" STATUS BYTES` and nothing after.
    static func sniffCommon(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let s = commonLogShape(b) else { return false }
        return s.quotedAfter == 0 && s.endsAfterBytes
    }

    /// The common-log shape of a line: how many quoted fields follow the byte count, and whether
    /// the line ends right after it. Nil when the line does not have the shape.
    static func commonLogShape(_ b: UnsafeBufferPointer<UInt8>) -> (quotedAfter: Int, endsAfterBytes: Bool)? {
        let n = b.count
        guard let open = b.firstIndex(of: 91), open >= 6, b[open - 1] == 32 else { return nil }
        var spaces = 0
        for i in 0..<open where b[i] == 32 {
            guard i > 0, b[i - 1] != 32 else { return nil }
            spaces += 1
        }
        guard spaces == 3 else { return nil }
        // [dd/Mon/yyyy:hh:mm:ss +zzzz]
        let t = open + 1
        guard t + 28 < n else { return nil }
        func digit(_ i: Int) -> Bool { b[i] &- 48 < 10 }
        guard digit(t), digit(t + 1), b[t + 2] == 47, b[t + 6] == 47, digit(t + 7), digit(t + 10), b[t + 11] == 58,
              digit(t + 12), b[t + 14] == 58, b[t + 17] == 58, digit(t + 19), b[t + 20] == 32,
              b[t + 21] == 43 || b[t + 21] == 45, digit(t + 22), digit(t + 25), b[t + 26] == 93,
              b[t + 27] == 32, b[t + 28] == 34 else { return nil }
        guard var i = closingQuote(b, from: t + 29) else { return nil }
        i += 1
        // " STATUS BYTES"
        guard i + 4 < n, b[i] == 32, digit(i + 1), digit(i + 2), digit(i + 3), b[i + 4] == 32 else { return nil }
        i += 5
        let bytesStart = i
        while i < n, digit(i) || b[i] == 45 { i += 1 }
        guard i > bytesStart else { return nil }
        if i == n { return (0, true) }
        var quoted = 0
        while i + 1 < n, b[i] == 32, b[i + 1] == 34 {
            guard let close = closingQuote(b, from: i + 2) else { return (quoted, false) }
            quoted += 1
            i = close + 1
        }
        return (quoted, false)
    }

    /// Index of the first `"` at or after `from` that is not escaped by a backslash.
    static func closingQuote(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var i = from
        while i < b.count {
            let c = b[i]
            if c == 92 { i += 2; continue }
            if c == 34 { return i }
            i += 1
        }
        return nil
    }
}

// MARK: - Compiled log format

/// A `log_format` compiled into literal separators and variables.
///
/// The format is `lead var₀ lit₀ var₁ lit₁ … varₙ litₙ` where every literal but `lead` and the
/// last one is non-empty. All literal bytes live in one array so that matching a line touches
/// no reference-counted storage per variable.
struct LogFormatLayout: Sendable {
    /// What a variable means to the reader.
    enum Field: Sendable, Equatable {
        case remoteAddr, forwardedFor, remoteUser
        case timeLocal, timeISO8601, msec
        case request, requestMethod, requestURI, uri, args
        case status, referer, userAgent, cookieHeader
        case cookie(Int), arg(Int)
        case requestTime, upstreamTime
        /// Apache's `%D` / `%{us}T` and `%{ms}T` (see `ApacheLogFormat`).
        case requestMicros, requestMillis
        case ignored
    }

    struct Step: Sendable {
        var field: Field
        /// The value stands between `"`s: it ends at the closing unescaped quote.
        var quoted: Bool
        /// The literal that follows the value, as a range of `literals`.
        var literalStart: Int
        var literalEnd: Int
    }

    /// The format as given (after unwrapping a pasted directive).
    let text: String
    let literals: [UInt8]
    let leadEnd: Int
    let steps: [Step]
    /// `$name` of each step, for reject details.
    let variableNames: [String]
    /// Names of `$cookie_NAME` / `$arg_NAME` variables, indexed by `Field.cookie` / `Field.arg`.
    let names: [String]
    let hasArgs: Bool
    /// The client address and the user are words next to each other, at most one other variable
    /// (an ident) between them, separated by spaces or `-` (`$remote_addr $remote_ident
    /// $remote_user`, nginx's `$remote_addr - $remote_user`): a line with more words there is read
    /// again (`readLead`).
    let leadIsWords: Bool

    init(_ raw: String) throws(ConfigError) {
        var format = try LogFormatLayout.unwrap(raw)
        if ApacheLogFormat.isApache(format) { format = try ApacheLogFormat.translate(format) }
        switch format {
        case "combined": self = try LogFormatLayout(NginxAccessReader.combinedLogFormat); return
        case "common": self = try LogFormatLayout(NginxAccessReader.commonLogFormat); return
        default: break
        }
        text = format
        let b = Array(format.utf8)
        var literals: [UInt8] = []
        var leadEnd = -1
        var steps: [Step] = []
        var variableNames: [String] = []
        var names: [String] = []
        var pendingField: Field?
        var pendingName = ""
        var literalStart = 0
        var i = 0
        while i <= b.count {
            guard i == b.count || b[i] == 36 else { // '$'
                literals.append(b[i])
                i += 1
                continue
            }
            // A variable (or the end) closes the literal collected since the previous variable.
            var name = ""
            var next = b.count
            if i < b.count {
                var j = i + 1
                if j < b.count, b[j] == 123 { // ${name}
                    guard let close = b[(j + 1)...].firstIndex(of: 125) else {
                        throw ConfigError("log_format", "\"${\" at character \(i + 1) is not closed by \"}\": \"\(format)\"")
                    }
                    name = String(decoding: b[(j + 1)..<close], as: UTF8.self)
                    j = close + 1
                } else {
                    let start = j
                    while j < b.count, LogFormatLayout.isNameByte(b[j]) { j += 1 }
                    name = String(decoding: b[start..<j], as: UTF8.self)
                }
                guard !name.isEmpty, name.utf8.allSatisfy(LogFormatLayout.isNameByte) else {
                    throw ConfigError("log_format", "\"$\" at character \(i + 1) is not followed by a variable name: \"\(format)\"")
                }
                next = j
            }
            if leadEnd < 0 {
                leadEnd = literals.count
            } else if let f = pendingField {
                if literals.count == literalStart, i < b.count {
                    throw ConfigError("log_format", "\(pendingName) and $\(name) follow each other with nothing between them, so a line cannot be split: \"\(format)\"")
                }
                steps.append(Step(field: f, quoted: false, literalStart: literalStart, literalEnd: literals.count))
                variableNames.append(pendingName)
            }
            if i == b.count { break }
            pendingField = LogFormatLayout.field(named: name, names: &names)
            pendingName = "$" + name
            literalStart = literals.count
            i = next
        }
        guard !steps.isEmpty else {
            if format.allSatisfy({ $0 == " " || $0 == "\t" }) {
                throw ConfigError("log_format", "the log_format is empty")
            }
            throw ConfigError("log_format", "the log_format has no $variables: \"\(format)\"")
        }
        // A value is quoted when the literal before it ends with `"` and the one after starts with one.
        for k in steps.indices {
            let beforeEnd = k == 0 ? leadEnd : steps[k - 1].literalEnd
            let beforeStart = k == 0 ? 0 : steps[k - 1].literalStart
            let after = steps[k]
            steps[k].quoted = beforeEnd > beforeStart && literals[beforeEnd - 1] == 34
                && after.literalEnd > after.literalStart && literals[after.literalStart] == 34
        }
        let fields = steps.map(\.field)
        guard fields.contains(where: { [.timeLocal, .timeISO8601, .msec].contains($0) }) else {
            throw ConfigError("log_format", "the log_format has no time variable ($time_local, $time_iso8601 or $msec): \"\(format)\"")
        }
        guard fields.contains(where: { [.request, .requestURI, .uri].contains($0) }) else {
            throw ConfigError("log_format", "the log_format has no request variable ($request, $request_uri or $uri): \"\(format)\"")
        }
        self.literals = literals
        self.leadEnd = leadEnd
        self.steps = steps
        self.variableNames = variableNames
        self.names = names
        self.hasArgs = fields.contains { if case .arg = $0 { return true } else { return false } }
        if let a = fields.firstIndex(of: .remoteAddr), let u = fields.firstIndex(of: .remoteUser), u > a, u - a <= 2 {
            leadIsWords = (a..<u).allSatisfy { k in
                let step = steps[k]
                return (k == a || step.field == .ignored) && step.literalEnd > step.literalStart
                    && literals[step.literalStart..<step.literalEnd].allSatisfy { $0 == 32 || $0 == 45 }
            }
        } else {
            leadIsWords = false
        }
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        (c | 0x20) &- 97 < 26 || c &- 48 < 10 || c == 95
    }

    static func field(named raw: String, names: inout [String]) -> Field {
        let name = raw.lowercased()
        switch name {
        case "remote_addr", "realip_remote_addr": return .remoteAddr
        case "http_x_forwarded_for", "proxy_add_x_forwarded_for": return .forwardedFor
        case "remote_user": return .remoteUser
        case "time_local": return .timeLocal
        case "time_iso8601": return .timeISO8601
        case "msec": return .msec
        case "request": return .request
        case "request_method": return .requestMethod
        case "request_uri": return .requestURI
        case "uri", "document_uri": return .uri
        case "args", "query_string": return .args
        case "status": return .status
        case "http_referer": return .referer
        case "http_user_agent": return .userAgent
        case "http_cookie": return .cookieHeader
        case "request_time": return .requestTime
        case "upstream_response_time": return .upstreamTime
        case "apache_request_usec": return .requestMicros
        case "apache_request_msec": return .requestMillis
        default:
            if name.hasPrefix("cookie_"), name.count > 7 {
                names.append(String(raw.dropFirst(7)))
                return .cookie(names.count - 1)
            }
            if name.hasPrefix("arg_"), name.count > 4 {
                names.append(String(raw.dropFirst(4)))
                return .arg(names.count - 1)
            }
            return .ignored
        }
    }

    /// Accepts a bare format, `combined` / `common`, or a pasted directive
    /// `log_format main [escape=json] '…' '…';` whose quoted pieces are joined.
    static func unwrap(_ raw: String) throws(ConfigError) -> String {
        var s = Substring(raw)
        func trim() {
            while let f = s.first, f.isWhitespace { s.removeFirst() }
            while let l = s.last, l.isWhitespace || l == ";" { s.removeLast() }
        }
        trim()
        if s.isEmpty { throw ConfigError("log_format", "the log_format is empty") }
        let directive = s.hasPrefix("log_format") && s.dropFirst(10).first?.isWhitespace == true
        if directive {
            var words = s.dropFirst(10).split(maxSplits: 1, whereSeparator: \.isWhitespace)
            guard words.count == 2 else { throw ConfigError("log_format", "the log_format directive \"\(raw)\" has no format after its name") }
            s = words.removeLast()
            trim()
            if s.hasPrefix("escape="), let space = s.firstIndex(where: \.isWhitespace) {
                s = s[space...]
                trim()
            }
        }
        // Quoted pieces are joined for a pasted directive, or a paste in nginx's usual single quotes;
        // a bare format that merely starts with `"` (`"$request" …`) is taken as it is.
        guard let q = s.first, q == "'" || q == "\"", directive || (q == "'" && s.last == "'") else { return String(s) }
        // Join quoted pieces: '…' '…' (nginx concatenates them).
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c.isWhitespace { i = s.index(after: i); continue }
            guard c == "'" || c == "\"" else {
                throw ConfigError("log_format", "the log_format \"\(raw)\" mixes quoted pieces with unquoted text")
            }
            var j = s.index(after: i)
            var closed = false
            while j < s.endIndex {
                let d = s[j]
                if d == "\\", s.index(after: j) < s.endIndex {
                    let e = s[s.index(after: j)]
                    if e == c || e == "\\" { out.append(e) } else { out.append(d); out.append(e) }
                    j = s.index(j, offsetBy: 2)
                    continue
                }
                if d == c { closed = true; break }
                out.append(d)
                j = s.index(after: j)
            }
            guard closed else { throw ConfigError("log_format", "a quoted piece of the log_format \"\(raw)\" is not closed") }
            i = s.index(after: j)
        }
        if out.isEmpty { throw ConfigError("log_format", "the log_format is empty") }
        return out
    }

    // MARK: Matching

    /// Where one variable's value lies in the line.
    struct Span {
        var start: Int
        var end: Int
        /// The value contains a backslash (an escape to decode before keeping it).
        var escaped: Bool
    }

    /// Cuts `line` by the format and fills `r`; returns the reject verdict, or nil when the line was read.
    /// `zone` is where a time written without an offset was taken.
    func extract(_ line: UnsafeBufferPointer<UInt8>, zone: Zone = .utc, into r: inout WebRecord) -> LineVerdict? {
        literals.withUnsafeBufferPointer { lits in
            steps.withUnsafeBufferPointer { steps in
                withUnsafeTemporaryAllocation(of: Span.self, capacity: steps.count) { spans in
                    if let failed = split(line, lits, steps, spans.baseAddress!) { return failed }
                    return interpret(line, steps, UnsafeBufferPointer(spans), zone, &r)
                }
            }
        }
    }

    /// Index of the first `c` in `b[from..<to]` (`memchr`: the long spans, request and user agent,
    /// are scanned many bytes at a time).
    @inline(__always)
    static func find(_ c: UInt8, _ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int? {
        guard from < to, let base = b.baseAddress, let p = memchr(base + from, Int32(c), to - from) else { return nil }
        return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
    }

    @inline(__always)
    static func literalAt(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ lits: UnsafeBufferPointer<UInt8>, _ ls: Int, _ le: Int) -> Bool {
        let len = le - ls
        guard at + len <= b.count else { return false }
        var k = 0
        while k < len {
            if b[at + k] != lits[ls + k] { return false }
            k += 1
        }
        return true
    }

    /// First pass: one span per step, or the malformed verdict naming where the line stopped matching.
    func split(_ b: UnsafeBufferPointer<UInt8>, _ lits: UnsafeBufferPointer<UInt8>, _ steps: UnsafeBufferPointer<Step>,
               _ spans: UnsafeMutablePointer<Span>) -> LineVerdict? {
        let n = b.count
        guard LogFormatLayout.literalAt(b, 0, lits, 0, leadEnd) else {
            return .rejected(.malformed, "the line does not start with \"\(literalText(0, leadEnd))\" as the log_format says")
        }
        var pos = leadEnd
        for k in 0..<steps.count {
            let step = steps[k]
            let ls = step.literalStart, le = step.literalEnd
            var end = -1
            var escaped = false
            if step.quoted {
                // The next `"` that is not escaped and is followed by the rest of the literal.
                var i = pos
                while let q = LogFormatLayout.find(34, b, i, n) {
                    if let bs = LogFormatLayout.find(92, b, i, q) {
                        escaped = true
                        i = bs + 2 // skip the escaped byte (which may be this quote)
                        continue
                    }
                    if LogFormatLayout.literalAt(b, q, lits, ls, le) { end = q; break }
                    i = q + 1
                }
            } else if ls == le {
                end = n // the last variable takes the rest of the line
            } else {
                let first = lits[ls]
                var i = pos
                while let c = LogFormatLayout.find(first, b, i, n) {
                    if LogFormatLayout.literalAt(b, c, lits, ls, le) { end = c; break }
                    i = c + 1
                }
                if end >= 0 { escaped = LogFormatLayout.find(92, b, pos, end) != nil }
            }
            guard end >= 0 else {
                let what = step.quoted ? "closing quote after \(variableNames[k])" : "\"\(literalText(ls, le))\" after \(variableNames[k])"
                return .rejected(.malformed, "no \(what): the line is cut short or is not in this log_format")
            }
            spans[k] = Span(start: pos, end: end, escaped: escaped)
            pos = end + (le - ls)
            // A literal that ends with a space matches any run of spaces: `"GET / HTTP/1.1"  200`
            // and `ip  - -` are the same fields with one space more.
            if le > ls, lits[le - 1] == 32 { while pos < n, b[pos] == 32 { pos += 1 } }
        }
        return nil
    }

    func literalText(_ s: Int, _ e: Int) -> String {
        literals.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[s..<e]), as: UTF8.self) }
    }

    /// Second pass: reads the spans the format defines into the record.
    func interpret(_ b: UnsafeBufferPointer<UInt8>, _ steps: UnsafeBufferPointer<Step>, _ spans: UnsafeBufferPointer<Span>,
                   _ zone: Zone, _ r: inout WebRecord) -> LineVerdict? {
        var target: Span?
        var uri: Span?
        var args: Span?
        var remoteAddr: WebRecord.Text?
        var remoteAddrSpan: Span?
        var userSpan: Span?
        var forwarded: Span?
        var requestTime: Int64?
        var upstreamTime: Int64?
        var timeRank = 0
        var notPage = false
        var dashStatus: Int?
        for k in 0..<steps.count {
            let s = spans[k]
            let v = UnsafeBufferPointer(rebasing: b[s.start..<s.end])
            let dash = v.count == 1 && v[0] == 45
            func text() -> WebRecord.Text { LogFormatLayout.text(s, v, &r) }
            switch steps[k].field {
            case .remoteAddr:
                remoteAddrSpan = s
                if !v.isEmpty, !dash { remoteAddr = WebRecord.Text(s.start..<s.end) }
            case .forwardedFor:
                if !v.isEmpty, !dash { forwarded = s }
            case .remoteUser:
                userSpan = s
                if !v.isEmpty, !dash { r.user = text() }
            case .timeLocal, .timeISO8601, .msec:
                // One time is enough; the most precise one the format has wins ($msec > iso8601 > local).
                let field = steps[k].field
                let rank = field == .msec ? 3 : field == .timeISO8601 ? 2 : 1
                guard rank > timeRank else { continue }
                let t: Int64? = switch field {
                case .msec: Timestamp.parseEpoch(v)
                case .timeISO8601: Timestamp.parseISO8601(v, zone: zone)
                default: Timestamp.parseCommonLog(v, zone: zone)
                }
                guard let t else {
                    return .rejected(.badTimestamp, "\(variableNames[k]) \"\(Escapes.preview(v))\" is not a valid time")
                }
                r.time = t
                timeRank = rank
            case .request:
                // What the client sent, as the server logged it: `-` or nothing (a connection
                // closed before a request, 408), TLS handshake bytes sent to a plain-HTTP port,
                // `PRI * HTTP/2.0`, `OPTIONS *`, `CONNECT host:443`, a lower-case method. The line
                // itself was read; it is no page view (an `ignored` skip, once the rest of the
                // line has been read too).
                guard let req = RequestLine(v) else { notPage = true; continue }
                if r.method == nil { r.method = WebRecord.Text(s.start..<(s.start + req.methodEnd)) }
                if target == nil {
                    target = Span(start: s.start + req.targetStart, end: s.start + req.targetEnd, escaped: s.escaped)
                }
            case .requestMethod:
                if !v.isEmpty, !dash { r.method = WebRecord.Text(s.start..<s.end) }
            case .requestURI:
                if !v.isEmpty, !dash { target = s }
            case .uri:
                if !v.isEmpty, !dash { uri = s }
            case .args:
                if !v.isEmpty, !dash { args = s }
            case .status:
                guard let status = NumberRange.integer(v) else {
                    // A request that was none (`"- - - "` of a load balancer's TCP or SSL
                    // listener, logged after the status) has no HTTP status either.
                    if dash { dashStatus = k; continue }
                    return .rejected(.malformed, "\(variableNames[k]) \"\(Escapes.preview(v))\" is not a number")
                }
                r.status = status
            case .referer:
                if !v.isEmpty, !dash { r.referrer = text() }
            case .userAgent:
                if !v.isEmpty, !dash { r.userAgent = text() }
            case .cookieHeader:
                if !v.isEmpty, !dash {
                    // A decoded header counts with the cookies logged one by one, in order.
                    if s.escaped { r.cookies.append(.header(text(), trimSeparators: false)) } else { r.cookieHeader = text() }
                }
            case .cookie(let i):
                if !v.isEmpty, !dash { r.cookies.append(.single(name: r.append(names[i]), value: text(), encoded: true)) }
            case .requestTime:
                requestTime = LogFormatLayout.milliseconds(v)
            case .requestMicros where requestTime == nil: // the first of Apache's times wins
                requestTime = NumberRange.integer(v).map { Int64($0 / 1000 + ($0 % 1000 >= 500 ? 1 : 0)) }
            case .requestMillis where requestTime == nil:
                requestTime = NumberRange.integer(v).map { Int64($0) }
            case .requestMicros, .requestMillis:
                break
            case .upstreamTime:
                upstreamTime = LogFormatLayout.milliseconds(v)
            case .arg, .ignored:
                break
            }
        }
        if notPage { return .skipped(.ignored) }
        if let k = dashStatus { return .rejected(.malformed, "\(variableNames[k]) \"-\" is not a number") }
        r.clientIP = forwarded.map { LogFormatLayout.firstAddress(b, $0) } ?? remoteAddr
        if leadIsWords, let a = remoteAddrSpan, let u = userSpan, !a.escaped, !u.escaped {
            LogFormatLayout.readLead(b, from: a.start, to: u.end, forwarded: forwarded != nil, &r)
        }
        r.responseTimeMs = requestTime ?? upstreamTime

        if let t = target {
            r.target = LogFormatLayout.text(t, UnsafeBufferPointer(rebasing: b[t.start..<t.end]), &r)
        } else if let u = uri {
            let uriBytes = UnsafeBufferPointer(rebasing: b[u.start..<u.end])
            r.target = r.decode { out in
                if u.escaped || uriBytes.contains(where: { $0 == 37 || $0 == 63 || $0 == 35 }) {
                    out.appendUTF8(LogFormatLayout.reencodedPath(Escapes.text(uriBytes, escaped: u.escaped)))
                } else {
                    out.append(contentsOf: uriBytes)
                }
                if let a = args {
                    out.append(63)
                    let argBytes = UnsafeBufferPointer(rebasing: b[a.start..<a.end])
                    if a.escaped { Escapes.decode(argBytes, into: &out) } else { out.append(contentsOf: argBytes) }
                }
            }
        } else {
            return .rejected(.malformed, "no request target in the line")
        }
        if hasArgs { addLoggedArguments(b, steps, spans, &r) }
        return nil
    }

    /// A value as a record's text: its span of the line, or its escapes decoded into the record.
    static func text(_ s: Span, _ v: UnsafeBufferPointer<UInt8>, _ r: inout WebRecord) -> WebRecord.Text {
        s.escaped ? r.decode { Escapes.decode(v, into: &$0) } : WebRecord.Text(s.start..<s.end)
    }

    /// Adds `$arg_NAME` values to the request target's query unless the target already carries them.
    func addLoggedArguments(_ b: UnsafeBufferPointer<UInt8>, _ steps: UnsafeBufferPointer<Step>, _ spans: UnsafeBufferPointer<Span>,
                            _ r: inout WebRecord) {
        guard let target = r.target else { return }
        var text = r.decoded.withUnsafeBufferPointer { String(decoding: WebRecord.Bytes(line: b, decoded: $0)[target], as: UTF8.self) }
        var changed = false
        for k in 0..<steps.count {
            guard case .arg(let i) = steps[k].field else { continue }
            let s = spans[k]
            let v = UnsafeBufferPointer(rebasing: b[s.start..<s.end])
            if v.isEmpty || (v.count == 1 && v[0] == 45) { continue }
            let name = names[i]
            let query = text.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
            let present = query.split(separator: "&").contains { $0 == name || $0.hasPrefix(name + "=") }
            if present { continue }
            text += (text.contains("?") ? "&" : "?") + name + "=" + Escapes.text(v, escaped: s.escaped)
            changed = true
        }
        if changed { r.target = r.append(text) }
    }

    /// Seconds with a fraction (`0.123`) as milliseconds; several values (`0.050, 0.020` or
    /// `0.050 : 0.020`, one per upstream tried) are added up, saturating at `Int64.max` (a line
    /// may hold millions of them, or one too long to convert), for the builder's range check.
    /// Nil for `-` or anything unreadable.
    static func milliseconds(_ v: UnsafeBufferPointer<UInt8>) -> Int64? {
        var total: Int64 = 0
        var any = false
        var i = 0
        let n = v.count
        while i < n {
            while i < n, v[i] == 32 || v[i] == 44 || v[i] == 58 { i += 1 }
            guard i < n else { break }
            var whole: Int64 = 0
            var digits = 0
            while i < n, v[i] &- 48 < 10 {
                if digits < 15 { whole = whole * 10 + Int64(v[i] - 48) } // more saturates, below
                i += 1
                digits += 1
            }
            var frac: Int64 = 0
            if i < n, v[i] == 46 {
                i += 1
                var scale: Int64 = 100
                var fd = 0
                while i < n, v[i] &- 48 < 10 {
                    if scale > 0 { frac += Int64(v[i] - 48) * scale; scale /= 10 } else if fd == 3, v[i] >= 53 { frac += 1 }
                    fd += 1
                    i += 1
                }
                guard fd > 0 else { return nil }
            }
            guard digits > 0 else { return nil }
            guard i == n || v[i] == 32 || v[i] == 44 || v[i] == 58 else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(whole * 1000 + frac)
            total = overflow || digits > 15 ? .max : sum
            any = true
        }
        return any ? total : nil
    }

    /// The first address of an `X-Forwarded-For` list (`client, proxy1, proxy2`).
    /// Reads again the words from the client address to the user (`$remote_addr … $remote_user`)
    /// when there are more of them than the format has — a virtual host first (Apache's
    /// `vhost_combined`, Debian's `other_vhosts_access.log`: `host:port ip - user`) or an
    /// X-Forwarded-For list (`ip, ip - -`) — so that no value with a space is ever the user (it
    /// would join unrelated people into one) or the client address (the fallback visitor key).
    /// The user is the last word (none when it is `-`); the word before it is the ident (or
    /// nginx's literal `-`); of the words before those, the client is the first of a comma list,
    /// else the last (the virtual host comes first).
    static func readLead(_ b: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, forwarded: Bool, _ r: inout WebRecord) {
        var words: [Range<Int>] = []
        var i = start
        while i < end {
            while i < end, b[i] == 32 { i += 1 }
            let w = i
            while i < end, b[i] != 32 { i += 1 }
            if i > w { words.append(w..<i) }
        }
        let n = words.count
        guard n > 3 else { return } // address, ident (or `-`), user: as the format says
        let user = words[n - 1]
        r.user = user.count == 1 && b[user.lowerBound] == 45 ? nil : WebRecord.Text(user)
        guard !forwarded else { return }
        let addresses = words[0..<(n - 2)]
        let first = addresses[addresses.startIndex]
        if b[first.upperBound - 1] == 44 { // "ip, ip …": the first of the list
            r.clientIP = WebRecord.Text(first.lowerBound..<(first.upperBound - 1))
        } else {
            r.clientIP = WebRecord.Text(addresses[addresses.endIndex - 1])
        }
    }

    static func firstAddress(_ b: UnsafeBufferPointer<UInt8>, _ v: Span) -> WebRecord.Text {
        var s = v.start
        while s < v.end, b[s] == 32 { s += 1 }
        var e = s
        while e < v.end, b[e] != 44, b[e] != 32 { e += 1 }
        return WebRecord.Text(s..<e)
    }

    /// `$uri` is logged decoded: re-encode the characters that would change its meaning as a target.
    static func reencodedPath(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 37 || $0 == 63 || $0 == 35 }) else { return s }
        var out = ""
        for c in s {
            switch c {
            case "%": out += "%25"
            case "?": out += "%3F"
            case "#": out += "%23"
            default: out.append(c)
            }
        }
        return out
    }
}

/// `METHOD TARGET [PROTOCOL]` split into offsets of the request value.
struct RequestLine {
    /// The method is `v[..<methodEnd]`.
    var methodEnd: Int
    var targetStart: Int
    var targetEnd: Int

    /// Nil for `-`, a missing target, a method that is not upper-case letters, or a target that is
    /// neither a path nor an absolute URL (TLS handshakes and scanners sent to a plain-HTTP port).
    init?(_ v: UnsafeBufferPointer<UInt8>) {
        guard let sp = v.firstIndex(of: 32), sp > 0, sp <= 24 else { return nil }
        for c in v[..<sp] {
            guard c &- 65 < 26 || c == 45 || c == 95 else { return nil }
        }
        var ts = sp + 1
        while ts < v.count, v[ts] == 32 { ts += 1 }
        var te = v.count
        if let last = v.lastIndex(of: 32), last >= ts {
            let proto = v[(last + 1)...]
            if proto.starts(with: [72, 84, 84, 80, 47]) { // HTTP/
                te = last
                while te > ts, v[te - 1] == 32 { te -= 1 }
            }
        }
        guard te > ts else { return nil }
        let first = v[ts]
        if first != 47 { // not "/…": must be an absolute URL
            guard UserAgentClassifier.contains(UnsafeBufferPointer(rebasing: v[ts..<te]), [58, 47, 47]) else { return nil }
        }
        methodEnd = sp
        targetStart = ts
        targetEnd = te
    }
}

/// Escapes in logged values: Apache's `\"` and `\\`, nginx's `\xNN`, and JSON's (`escape=json`)
/// `\"`, `\\`, `\/`, `\n`, `\t`, `\r`, `\b`, `\f` and `\uXXXX` (with surrogate pairs).
enum Escapes {
    /// The value as text, escapes decoded when `escaped`; if the decoded bytes are not valid UTF-8
    /// the escaped text is kept, so no byte is silently replaced.
    static func text(_ v: UnsafeBufferPointer<UInt8>, escaped: Bool) -> String {
        guard escaped, v.contains(92) else { return String(decoding: v, as: UTF8.self) }
        var out = [UInt8]()
        out.reserveCapacity(v.count)
        decode(v, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `v` with its escapes decoded to `out`; if the decoded bytes are not valid UTF-8,
    /// appends `v` as it is.
    static func decode(_ v: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let start = out.count
        var i = 0
        let n = v.count
        var valid = true
        while i < n {
            let c = v[i]
            guard c == 92, i + 1 < n else { out.append(c); i += 1; continue }
            let e = v[i + 1]
            switch e {
            case 120: // \xNN
                if i + 3 < n, let h = hex(v[i + 2]), let l = hex(v[i + 3]) {
                    out.append(h << 4 | l)
                    i += 4
                } else {
                    out.append(c); i += 1
                }
            case 117: // \uXXXX
                if let (unit, next) = unicodeUnit(v, i) {
                    var scalar = unit
                    var end = next
                    if (0xD800...0xDBFF).contains(unit), let (low, after) = unicodeUnit(v, next), (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        end = after
                    }
                    if let s = Unicode.Scalar(scalar) { UTF8.encode(s) { out.append($0) } } else { valid = false }
                    i = end
                } else {
                    out.append(c); i += 1
                }
            case 34, 92, 47: out.append(e); i += 2
            case 110: out.append(10); i += 2
            case 116: out.append(9); i += 2
            case 114: out.append(13); i += 2
            case 98: out.append(8); i += 2
            case 102: out.append(12); i += 2
            default: out.append(c); i += 1
            }
        }
        if !valid || !out.withUnsafeBufferPointer({ URLParts.isValidUTF8(UnsafeBufferPointer(rebasing: $0[start...])) }) {
            out.removeSubrange(start...)
            out.append(contentsOf: v)
        }
    }

    static func unicodeUnit(_ v: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int)? {
        guard i + 5 < v.count, v[i] == 92, v[i + 1] == 117 else { return nil }
        var u: UInt32 = 0
        for k in 2...5 {
            guard let h = hex(v[i + k]) else { return nil }
            u = u << 4 | UInt32(h)
        }
        return (u, i + 6)
    }

    @inline(__always)
    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 65...70: c - 55
        case 97...102: c - 87
        default: nil
        }
    }

    /// At most 60 bytes of a value for a reject detail.
    static func preview(_ v: UnsafeBufferPointer<UInt8>) -> String {
        if v.count <= 60 { return String(decoding: v, as: UTF8.self) }
        return String(decoding: UnsafeBufferPointer(rebasing: v[..<60]), as: UTF8.self) + "…"
    }
}
