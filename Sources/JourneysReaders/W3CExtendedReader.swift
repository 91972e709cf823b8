import JourneysCore

/// Reads W3C extended log files, the format of IIS and of CloudFront standard logs.
///
/// The `#Fields:` directive says which column holds what, and it may be repeated or changed
/// anywhere in a file (IIS writes a new header block when its configuration changes or the
/// worker restarts), so the reader is stateful: each data line is read with the latest
/// directive. Directive lines (`#Version`, `#Software`, `#Date`, `#Fields`, `#Remark`, any
/// other `#…`) are `header` skips.
///
/// Per data line:
/// - Separator: a line containing a tab is split at every tab (CloudFront); otherwise at runs
///   of spaces (IIS). Tabs, spaces and a carriage return at the end of the line are no field
///   (AWS's own CloudFront example line ends with a tab). A field in double quotes (IIS Advanced
///   Logging, Incapsula) is read without them and may hold spaces. A field of `-` is empty. A
///   line whose field count differs from the directive's is rejected `malformed`, as is a data
///   line before any `#Fields:`.
/// - Time: `date` + `time` (UTC, `hh:mm:ss` with an optional fraction). Without a `date`
///   column, the date of the latest `#Date:` directive is used. Without `date` and `time`,
///   `date-local` + `time-local` (IIS Advanced Logging), in the source's `timezone`.
/// - Target: `cs-uri-stem` + `?` + `cs-uri-query`, or `cs-uri` when logged whole. A `?` or `#`
///   inside the stem is part of the path (the stem is never a query or a fragment).
/// - Status: `sc-status`, or `c-status`.
/// - Flavour: the log is treated as CloudFront when its `#Fields:` lists an `x-edge-…` field
///   or its `#Software:` names CloudFront; otherwise as IIS. The flavour decides two things:
///   - `time-taken`: IIS writes milliseconds (`187`), CloudFront seconds with a millisecond
///     fraction (`0.082`). Either way the result is rounded to whole milliseconds.
///   - Encoding of `cs(User-Agent)` and `cs(Cookie)`: IIS writes a space as `+`, so `+`
///     becomes a space in the user agent, and a `+` after a cookie's `;` is dropped (a `+`
///     inside a cookie value is kept). CloudFront percent-encodes; the user agent is
///     percent-decoded once, and then any `%20` still left becomes a space, because
///     CloudFront sometimes encodes twice (`%2520`). Only `%20` is decoded the second time,
///     so a literal `%` sequence in the agent survives. A cookie name's leading `%20` is
///     dropped; values are percent-decoded once by `CookieHeader`.
/// - `cs(Referer)` / `cs(Referrer)` is used for its host only; `cs-username` is the logged-in
///   user (a customer key unless a placeholder); `c-ip` feeds the IP + user-agent fallback.
public struct W3CExtendedReader: LogReader {
    public static let format = "w3c"
    public static let descriptor = ReaderDescriptor(
        name: format, channel: "web",
        summary: "W3C extended logs (IIS, CloudFront standard logs), driven by their #Fields: directive",
        options: """
            columns by #Fields: (may change mid-file): date, time, c-ip, cs-method, cs-uri-stem, cs-uri-query \
            (or cs-uri), sc-status, cs(Referer), cs(User-Agent), cs(Cookie), cs-username, time-taken \
            (IIS: ms; CloudFront, recognised by x-edge-* fields or #Software: seconds); space- or tab-separated; \
            identity.* (visitor_cookies, customer_cookies, customer_params, email_params, fallback_visitor), \
            skip_bots (true), skip_assets (true), asset_extensions, value_param (value), currency_param (currency)
            """,
        make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in W3CExtendedReader(options: o) },
        sniff: { W3CExtendedReader.sniff($0) })

    /// What a `#Fields:` column holds, for the columns this reader uses.
    enum Column: Equatable {
        case date, time, dateLocal, timeLocal, clientIP, method, uriStem, uriQuery, uri, status, referrer, userAgent, cookie
        case username, timeTaken
        case other

        /// The column of a `#Fields:` name. No name this reader knows is longer than 14 bytes, and
        /// a `String` of up to 15 bytes is no heap object.
        init(_ name: UnsafeBufferPointer<UInt8>) {
            if name.count > 15, !name.contains(where: { $0 >= 0x80 }) {
                self = .other
            } else {
                self.init(String(decoding: name, as: UTF8.self))
            }
        }

        init(_ name: String) {
            switch name.lowercased() {
            case "date": self = .date
            case "time": self = .time
            case "date-local": self = .dateLocal
            case "time-local": self = .timeLocal
            case "c-ip": self = .clientIP
            case "cs-method": self = .method
            case "cs-uri-stem": self = .uriStem
            case "cs-uri-query": self = .uriQuery
            case "cs-uri": self = .uri
            case "sc-status", "c-status": self = .status
            case "cs(referer)", "cs(referrer)": self = .referrer
            case "cs(user-agent)": self = .userAgent
            case "cs(cookie)": self = .cookie
            case "cs-username": self = .username
            case "time-taken": self = .timeTaken
            default: self = .other
            }
        }
    }

    var builder: WebRecordBuilder
    /// The current line's record (its storage reused from line to line).
    var record = WebRecord()
    /// The latest `#Fields:` columns; nil before the first directive.
    var columns: [Column]?
    /// Why the current directive cannot give touchpoints (a required column is missing).
    var layoutProblem: String?
    /// The current `#Fields:` lists an `x-edge-…` field.
    var edgeFields = false
    /// The latest `#Software:` names CloudFront.
    var cloudFrontSoftware = false
    /// Midnight (UTC ms) of the latest `#Date:` directive, for logs without a `date` column.
    var directiveDay: Int64?

    public var isStateful: Bool { true }

    public init(options: ReaderOptions = ReaderOptions()) {
        builder = WebRecordBuilder(options: options)
    }

    var isCloudFront: Bool { edgeFields || cloudFrontSoftware }

    // MARK: - Sniffing

    /// A directive line, or a data line that opens with `date time` and has at least six fields.
    static func sniff(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        if b.first == 35 { // #
            return startsWith(b, "#Software:") || startsWith(b, "#Version:") || startsWith(b, "#Fields:")
        }
        // 2026-03-02 09:00:12 (space) or 2026-03-02<TAB>09:00:12 (tab)
        guard b.count >= 19, Timestamp.parseISO8601(UnsafeBufferPointer(rebasing: b[0..<10])) != nil else { return false }
        let sep = b[10]
        guard sep == 32 || sep == 9, b[13] == 58, b[16] == 58, b[11] &- 48 < 10, b[18] &- 48 < 10 else { return false }
        var separators = 0
        for c in b where c == sep { separators += 1 }
        return separators >= 5
    }

    static func startsWith(_ b: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard b.count >= n else { return false }
        for i in 0..<n where b[i] != prefix.utf8Start[i] { return false }
        return true
    }

    // MARK: - Reading

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        if line.first == 35 { return directive(line) }
        guard let columns else { return .rejected(.malformed, "no #Fields directive before this line") }
        if let layoutProblem { return .rejected(.malformed, layoutProblem) }

        // Split into fields: tabs when the line has one, else runs of spaces.
        let tabbed = line.contains(9)
        var date: UnsafeBufferPointer<UInt8>?, time: UnsafeBufferPointer<UInt8>?
        var dateLocal: UnsafeBufferPointer<UInt8>?, timeLocal: UnsafeBufferPointer<UInt8>?
        var stem: UnsafeBufferPointer<UInt8>?, query: UnsafeBufferPointer<UInt8>?, uri: WebRecord.Text?
        var status: UnsafeBufferPointer<UInt8>?, agent: UnsafeBufferPointer<UInt8>?, cookie: WebRecord.Text?
        var taken: UnsafeBufferPointer<UInt8>?
        record.reset()
        var count = 0
        func take(_ start: Int, _ end: Int) {
            defer { count += 1 }
            guard count < columns.count else { return }
            var start = start, end = end
            if end - start >= 2, line[start] == 34, line[end - 1] == 34 { start += 1; end -= 1 } // "quoted"
            guard end > start, !(end - start == 1 && line[start] == 45) else { return }
            let v = UnsafeBufferPointer(rebasing: line[start..<end])
            let t = WebRecord.Text(start..<end)
            switch columns[count] {
            case .date: date = v
            case .time: time = v
            case .dateLocal: dateLocal = v
            case .timeLocal: timeLocal = v
            case .clientIP: record.clientIP = t
            case .method: record.method = t
            case .uriStem: stem = v
            case .uriQuery: query = v
            case .uri: uri = t
            case .status: status = v
            case .referrer: record.referrer = t
            case .userAgent: agent = v
            case .cookie: cookie = t
            case .username: record.user = t
            case .timeTaken: taken = v
            case .other: break
            }
        }
        var n = line.count
        while n > 0, line[n - 1] == 9 || line[n - 1] == 32 || line[n - 1] == 13 { n -= 1 }
        if tabbed {
            var start = 0
            while true {
                var end = start
                while end < n, line[end] != 9 { end += 1 }
                take(start, end)
                if end == n { break }
                start = end + 1
            }
        } else {
            var i = 0
            while i < n {
                while i < n, line[i] == 32 { i += 1 }
                if i == n { break }
                var end = i
                if line[i] == 34 { // "a quoted field", to its closing quote
                    end = i + 1
                    while end < n, !(line[end] == 34 && (end + 1 == n || line[end + 1] == 32)) { end += 1 }
                    end = min(end + 1, n)
                } else {
                    while end < n, line[end] != 32 { end += 1 }
                }
                take(i, end)
                i = end
            }
        }
        guard count == columns.count else {
            return .rejected(.malformed, "line has \(count) fields, the #Fields directive lists \(columns.count)")
        }

        // Time: date + time of day, UTC; else the local date and time in the source's zone.
        if date == nil, time == nil, let dateLocal, let timeLocal {
            guard dateLocal.count == 10, let d = Timestamp.parseISO8601(dateLocal) else {
                return .rejected(.badTimestamp, "date-local \"\(String(decoding: dateLocal, as: UTF8.self))\" is not YYYY-MM-DD")
            }
            guard let tod = Self.timeOfDay(timeLocal) else {
                return .rejected(.badTimestamp, "time-local \"\(String(decoding: timeLocal, as: UTF8.self))\" is not hh:mm:ss")
            }
            record.time = builder.options.timezone.utc(local: d + tod)
            return rest(line, stem: stem, query: query, uri: uri, status: status, taken: taken, agent: agent, cookie: cookie,
                        origin: origin, into: &out)
        }
        let day: Int64
        if let date {
            guard date.count == 10, let d = Timestamp.parseISO8601(date) else {
                return .rejected(.badTimestamp, "date \"\(String(decoding: date, as: UTF8.self))\" is not YYYY-MM-DD")
            }
            day = d
        } else if let directiveDay {
            day = directiveDay
        } else {
            return .rejected(.badTimestamp, "no date field and no #Date directive")
        }
        guard let time, let tod = Self.timeOfDay(time) else {
            return .rejected(.badTimestamp, "time \"\(time.map { String(decoding: $0, as: UTF8.self) } ?? "-")\" is not hh:mm:ss")
        }
        record.time = day + tod
        return rest(line, stem: stem, query: query, uri: uri, status: status, taken: taken, agent: agent, cookie: cookie,
                    origin: origin, into: &out)
    }

    /// The rest of a data line once its time is known: target, status, response time, user
    /// agent, cookies; then the touchpoint.
    mutating func rest(_ line: UnsafeBufferPointer<UInt8>, stem: UnsafeBufferPointer<UInt8>?, query: UnsafeBufferPointer<UInt8>?,
                       uri: WebRecord.Text?, status: UnsafeBufferPointer<UInt8>?, taken: UnsafeBufferPointer<UInt8>?,
                       agent: UnsafeBufferPointer<UInt8>?, cookie: WebRecord.Text?, origin: Origin,
                       into out: inout TouchpointBuffer) -> LineVerdict {
        // Target.
        if let uri {
            record.target = uri
        } else if let stem {
            record.target = record.decode { out in
                for c in stem { // `?` and `#` in a stem are path bytes
                    if c == 63 { out.append(contentsOf: [37, 51, 70]) } else if c == 35 { out.append(contentsOf: [37, 50, 51]) } else { out.append(c) }
                }
                if let query {
                    out.append(63)
                    out.append(contentsOf: query)
                }
            }
        }

        if let status {
            guard let s = NumberRange.integer(status) else {
                return .rejected(.malformed, "sc-status \"\(String(decoding: status, as: UTF8.self))\" is not a number")
            }
            record.status = s
        }
        if let taken { record.responseTimeMs = Self.milliseconds(taken, seconds: isCloudFront) }
        if let agent {
            let cloudFront = isCloudFront
            record.userAgent = record.decode { Self.decodeAgent(agent, cloudFront: cloudFront, into: &$0) }
        }
        if let cookie { record.cookies.append(.header(cookie, trimSeparators: true)) }
        return builder.build(record, line: line, origin: origin, into: &out)
    }

    /// Handles a `#…` directive line: remembers `#Fields:`, `#Software:` and `#Date:`.
    mutating func directive(_ line: UnsafeBufferPointer<UInt8>) -> LineVerdict {
        if Self.startsWith(line, "#Fields:") {
            let names = UnsafeBufferPointer(rebasing: line[8...])
            var any = false
            Self.forEachWord(names) { _ in any = true }
            guard any else { return .rejected(.malformed, "#Fields directive lists no fields") }
            // The columns' storage is reused (a log cut into short files repeats its directives).
            var cols = columns ?? []
            columns = nil
            cols.removeAll(keepingCapacity: true)
            var edge = false
            Self.forEachWord(names) { name in
                cols.append(Column(name))
                edge = edge || Self.isEdgeField(name)
            }
            columns = cols
            edgeFields = edge
            if !cols.contains(.time), !(cols.contains(.dateLocal) && cols.contains(.timeLocal)) {
                layoutProblem = "the #Fields directive has no time field (time, or date-local and time-local)"
            } else if !cols.contains(.uriStem), !cols.contains(.uri) {
                layoutProblem = "the #Fields directive has no cs-uri-stem or cs-uri field"
            } else {
                layoutProblem = nil
            }
        } else if Self.startsWith(line, "#Software:") {
            cloudFrontSoftware = Self.containsIgnoringCase(line, "cloudfront")
        } else if Self.startsWith(line, "#Date:") {
            var first = true
            Self.forEachWord(UnsafeBufferPointer(rebasing: line[6...])) { word in
                if first { directiveDay = word.count == 10 ? Timestamp.parseISO8601(word) : nil }
                first = false
            }
        }
        return .skipped(.header)
    }

    // MARK: - Field decoding

    /// Appends the user agent as text to `out`: IIS `+` → space; CloudFront percent-decoded once,
    /// then `%20` → space.
    static func decodeAgent(_ b: UnsafeBufferPointer<UInt8>, cloudFront: Bool, into out: inout [UInt8]) {
        guard cloudFront else {
            for c in b { out.append(c == 43 ? 32 : c) }
            return
        }
        let start = out.count
        URLParts.percentDecode(b, plusAsSpace: false, into: &out)
        var to = start
        var i = start
        while i < out.count {
            if out[i] == 37, i + 2 < out.count, out[i + 1] == 50, out[i + 2] == 48 {
                out[to] = 32
                i += 3
            } else {
                out[to] = out[i]
                i += 1
            }
            to += 1
        }
        out.removeSubrange(to...)
    }

    /// `time-taken` in whole milliseconds (rounded), saturated at `Int64.max` for the builder's
    /// range check (a number too long to convert is out of range, not no value); nil when it is
    /// not a number.
    static func milliseconds(_ b: UnsafeBufferPointer<UInt8>, seconds: Bool) -> Int64? {
        var whole: Int64 = 0
        var i = 0
        while i < b.count, b[i] &- 48 < 10 {
            whole = whole < 100_000_000_000_000_000 ? whole * 10 + Int64(b[i] - 48) : .max
            i += 1
        }
        guard i > 0 else { return nil }
        var frac = 0.0
        if i < b.count, b[i] == 46 {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] &- 48 < 10 { frac += Double(b[i] - 48) * scale; scale /= 10; i += 1 }
            guard i > start else { return nil }
        }
        guard i == b.count else { return nil }
        let ms = ((Double(whole) + frac) * (seconds ? 1000 : 1)).rounded()
        return ms >= 0x1p63 ? .max : Int64(ms)
    }

    /// Milliseconds since midnight of `hh:mm:ss` or `hh:mm:ss.fff`.
    static func timeOfDay(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard b.count >= 8, b[2] == 58, b[5] == 58,
              let h = NumberRange.integer(UnsafeBufferPointer(rebasing: b[0..<2])),
              let m = NumberRange.integer(UnsafeBufferPointer(rebasing: b[3..<5])),
              let s = NumberRange.integer(UnsafeBufferPointer(rebasing: b[6..<8])),
              h <= 23, m <= 59, s <= 60 else { return nil }
        var ms = 0
        if b.count > 8 {
            guard b[8] == 46, b.count > 9 else { return nil }
            var scale = 100
            for k in 9..<b.count {
                guard b[k] &- 48 < 10 else { return nil }
                ms += Int(b[k] - 48) * scale
                scale /= 10
            }
        }
        return Int64(h * 3_600_000 + m * 60_000 + min(s, 59) * 1000 + ms)
    }

    /// Calls `body` with each word of a directive's value, split at spaces and tabs.
    static func forEachWord(_ b: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = -1
        for i in 0...b.count {
            let sep = i == b.count || b[i] == 32 || b[i] == 9
            if sep {
                if start >= 0 { body(UnsafeBufferPointer(rebasing: b[start..<i])) }
                start = -1
            } else if start < 0 {
                start = i
            }
        }
    }

    /// True for a CloudFront `x-edge-…` field name, in any case.
    static func isEdgeField(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        if name.contains(where: { $0 >= 0x80 }) {
            return String(decoding: name, as: UTF8.self).lowercased().hasPrefix("x-edge-")
        }
        return name.count >= 7 && zip(name, "x-edge-".utf8).allSatisfy { ($0 &- 65 < 26 ? $0 | 0x20 : $0) == $1 }
    }

    /// True when `b` contains `needle` (lower-case ASCII), ignoring the case of ASCII letters.
    static func containsIgnoringCase(_ b: UnsafeBufferPointer<UInt8>, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard b.count >= n else { return false }
        for i in 0...(b.count - n) {
            var k = 0
            while k < n, (b[i + k] &- 65 < 26 ? b[i + k] | 0x20 : b[i + k]) == needle.utf8Start[k] { k += 1 }
            if k == n { return true }
        }
        return false
    }
}
