import JourneysCore

/// A configuration mistake, reported with the key path it concerns (e.g. `sources[0].log_format`).
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    public var path: String
    public var message: String
    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Which cookie, query parameter or record field carries which identity key.
///
/// This is configuration, not code: a pipeline file's `identity:` section fills it.
public struct IdentityOptions: Sendable, Equatable {
    /// Cookies whose value is a first-party visitor id.
    public var visitorCookies: [String] = ["visitor_id", "vid", "_journeys_vid"]
    /// Cookies whose value is a login / customer id.
    public var customerCookies: [String] = ["customer_id", "user_id", "uid"]
    /// Query parameters whose value is a customer id (e.g. in links from emails).
    public var customerParams: [String] = ["cid", "customer_id"]
    /// Query parameters whose value is an email address.
    public var emailParams: [String] = ["email"]
    /// Record fields (JSON / CSV, dotted paths) holding a customer id, e.g. SendGrid custom arguments.
    public var customerFields: [String] = ["customer_id", "user_id", "userId", "external_id"]
    /// Values that are placeholders, not identities (compared case-insensitively after trimming).
    public var ignoreValues: Set<String> = ["", "-", "null", "nil", "none", "undefined", "anonymous", "unknown", "0", "n/a"]
    /// Give web lines without a cookie or user a visitor key hashed from client IP + user agent.
    public var fallbackVisitor = true

    public init() {}

    /// The value if it is a real identity, trimmed; nil for a placeholder.
    public func clean(_ raw: String?) -> String? {
        guard let raw else { return nil }
        var bytes = raw
        return bytes.withUTF8 { b in
            guard let r = cleanRange(b, placeholders: nil) else { return nil }
            return r.count == b.count ? raw : String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self)
        }
    }

    /// An email address trimmed and lower-cased; nil for a placeholder or text without `@`. A
    /// display-name address (`Jane Doe <Jane@Example.com>`) gives the address in its `<…>`.
    public func cleanEmail(_ raw: String?) -> String? {
        guard let raw else { return nil }
        var bytes = raw
        let address = bytes.withUTF8 { b in
            let a = IdentityOptions.angleAddress(b)
            return a.count == b.count ? raw : String(decoding: a, as: UTF8.self)
        }
        guard let t = clean(address), t.utf8.contains(64) else { return nil }
        return t.lowercased()
    }

    /// The address inside the last `<…>` of a display-name address (`Jane Doe <jane@example.com>`),
    /// else `b` itself.
    public static func angleAddress(_ b: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let open = b.lastIndex(of: 60), let close = b.lastIndex(of: 62), open < close else { return b }
        return UnsafeBufferPointer(rebasing: b[(open + 1)..<close])
    }

    /// The range of `b` without leading and trailing ASCII white space when that is a real
    /// identity; nil for a placeholder. `placeholders` are `ignoreValues` as bytes when they are
    /// all ASCII (`IdentityBytes`): an ASCII value is then looked up without a `String`.
    func cleanRange(_ b: UnsafeBufferPointer<UInt8>, placeholders: [[UInt8]]?) -> Range<Int>? {
        func space(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
        var start = 0, end = b.count
        while start < end, space(b[start]) { start += 1 }
        while end > start, space(b[end - 1]) { end -= 1 }
        guard start < end else { return nil }
        // Placeholders are short words; longer values are never looked up. A value without
        // upper-case or non-ASCII bytes (most ids) is looked up as it is, with no lower-cased copy.
        guard end - start <= 64 else { return start..<end }
        let t = UnsafeBufferPointer(rebasing: b[start..<end])
        let ascii = !t.contains { $0 >= 128 }
        if let placeholders, ascii {
            for p in placeholders where p.count == t.count {
                if zip(p, t).allSatisfy({ $0 == ($1 &- 65 < 26 ? $1 | 0x20 : $1) }) { return nil }
            }
            return start..<end
        }
        let text = String(decoding: t, as: UTF8.self)
        let plain = ascii && !t.contains { $0 &- 65 < 26 }
        return ignoreValues.contains(plain ? text : text.lowercased()) ? nil : start..<end
    }
}

/// `IdentityOptions` as bytes, for readers that find identity keys in a line's bytes without
/// making a `String`: the cookie and parameter names and the placeholders as UTF-8. A class, so
/// that a reader's per-line code shares it without retaining each of its arrays.
public final class IdentityBytes: Sendable {
    public let options: IdentityOptions
    public let visitorCookies, customerCookies, customerParams, emailParams: ByteNames
    /// `ignoreValues` as bytes; nil when one is not ASCII (values are then looked up as `String`s).
    let placeholders: [[UInt8]]?

    public init(_ options: IdentityOptions) {
        self.options = options
        visitorCookies = ByteNames(options.visitorCookies)
        customerCookies = ByteNames(options.customerCookies)
        customerParams = ByteNames(options.customerParams)
        emailParams = ByteNames(options.emailParams)
        let all = options.ignoreValues.sorted().map { Array($0.utf8) }
        placeholders = all.allSatisfy { $0.allSatisfy { $0 < 128 } } ? all : nil
    }

    /// `IdentityOptions.clean` on bytes: the range of the trimmed identity, nil for a placeholder.
    public func clean(_ b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        options.cleanRange(b, placeholders: placeholders)
    }

    /// The trimmed identity itself (a slice of `raw`), nil when absent, empty or a placeholder.
    public func cleaned(_ raw: UnsafeBufferPointer<UInt8>?) -> UnsafeBufferPointer<UInt8>? {
        guard let raw, let r = clean(raw) else { return nil }
        return UnsafeBufferPointer(rebasing: raw[r])
    }

    /// The trimmed address, not yet lower-cased (`TouchpointBuffer.setEmail` does that); nil for
    /// a placeholder or text without `@`.
    public func cleanedEmail(_ raw: UnsafeBufferPointer<UInt8>?) -> UnsafeBufferPointer<UInt8>? {
        guard let t = cleaned(raw.map(IdentityOptions.angleAddress)), t.contains(64) else { return nil }
        return t
    }

    /// `IdentityOptions.cleanEmail` on bytes: appends the trimmed, lower-cased address to `out`;
    /// false (nothing appended) for a placeholder or text without `@`.
    public func cleanEmail(_ b: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        let b = IdentityOptions.angleAddress(b)
        guard let r = clean(b) else { return false }
        let t = UnsafeBufferPointer(rebasing: b[r])
        guard t.contains(64) else { return false }
        if t.contains(where: { $0 >= 128 }) {
            out.appendUTF8(String(decoding: t, as: UTF8.self).lowercased())
        } else {
            for c in t { out.append(c &- 65 < 26 ? c | 0x20 : c) }
        }
        return true
    }
}

/// Names (of cookies or query parameters) as bytes, to look up a name found in a line.
public struct ByteNames: Sendable {
    let names: [String]
    let bytes: [[UInt8]]
    let ascii: Bool

    public init(_ names: [String]) {
        self.names = names
        bytes = names.map { Array($0.utf8) }
        ascii = names.allSatisfy { $0.utf8.allSatisfy { $0 < 128 } }
    }

    /// True when `b` is one of the names, byte for byte; with `asString`, as `String`s compare
    /// (canonical equivalence, which only tells apart from byte equality when a side is not ASCII).
    public func contains(_ b: UnsafeBufferPointer<UInt8>, asString: Bool = true) -> Bool {
        for n in bytes where n.count == b.count && n.elementsEqual(b) { return true }
        guard asString, !ascii || b.contains(where: { $0 >= 128 }) else { return false }
        return names.contains(String(decoding: b, as: UTF8.self))
    }

    /// The first name's bytes.
    public var first: [UInt8]? { bytes.first }
}

/// Options every reader understands; each reader documents which it uses.
public struct ReaderOptions: Sendable, Equatable {
    /// nginx `log_format` string for the `nginx` reader (nil: the `combined` format).
    public var logFormat: String?
    /// Field map for JSON / CSV readers: role (`time`, `visitor`, `action`, …) → field name or dotted path.
    public var fields: [String: String] = [:]
    /// The zone of timestamps written without an offset (a fixed offset, or a named zone with
    /// its daylight-saving rules).
    public var timezone: Zone = .utc
    /// The source (or `--timezone`) named `timezone` itself: a preset's zone does not replace it.
    public var timezoneIsSources = false
    /// How the generic readers read their `time` field: `auto`, `iso8601`, `epoch_s`, `epoch_ms`, `common_log`.
    public var timeFormat: String = "auto"
    /// Channel for generic readers (`web`, `email`, `chat`).
    public var channel: Channel = .web
    /// CSV field delimiter for the `csv` reader.
    public var delimiter: UInt8 = 44
    public var identity = IdentityOptions()
    /// Skip (and count) crawler and monitor user agents.
    public var skipBots = true
    /// Skip (and count) static assets, recognised by the path's extension.
    public var skipAssets = true
    public var assetExtensions: Set<String> = ["css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif",
                                               "bmp", "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "wav", "txt", "xml"]
    /// Query parameter that carries an order value (e.g. on `/checkout/complete?value=42.50`).
    public var valueParam: String? = "value"
    /// Query parameter that carries the value's currency.
    public var currencyParam: String? = "currency"
    /// Free text (chat messages, bounce reasons) is cut to this many bytes.
    public var textLimit = 500
    /// Generic readers: the source's event names → action names (`ValueMap` keys, conditions
    /// in brackets; the outcome `ignore` skips the record).
    public var actions: [String: String] = [:]
    /// Generic readers: event names (`ValueMap` keys) whose records are counted `ignored` skips.
    public var ignore: [String] = []
    /// Generic readers: a role's value when its field is absent (`action: chat_rating`).
    public var constants: [String: String] = [:]
    /// Generic readers: per role, values read as others (`score: {good: "5", bad: "1"}`).
    public var values: [String: [String: String]] = [:]
    /// `jsonl`: where a line's records are (`items[]`, `msys.*`, `threads[].events[]`); nil:
    /// the line itself, each element of a top-level array, or each of an `events` array.
    public var records: String?
    /// `jsonl`: a field (`|` alternatives) whose string value is itself the JSON to read (an
    /// SNS envelope's `Message`, a form field such as Mandrill's `mandrill_events`).
    public var unwrap: String?
    /// The `fields` roles a reader reports when no line has them (nil: all of `fields`; a
    /// preset watches only the roles the source itself named).
    public var watchedRoles: Set<String>?

    public init() {}
}
