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
    @inlinable
    public func clean(_ raw: String?) -> String? {
        guard let t = raw?.trimmingSpaces, !t.isEmpty else { return nil }
        // Placeholders are short words; longer values are never looked up. A value without
        // upper-case or non-ASCII bytes (most ids) is looked up as it is, with no lower-cased copy.
        guard t.utf8.count <= 64 else { return t }
        let plain = t.utf8.withContiguousStorageIfAvailable { u in !u.contains { $0 >= 128 || $0 &- 65 < 26 } } ?? false
        if ignoreValues.contains(plain ? t : t.lowercased()) { return nil }
        return t
    }

    /// An email address trimmed and lower-cased; nil for a placeholder or text without `@`.
    public func cleanEmail(_ raw: String?) -> String? {
        guard let t = clean(raw), t.utf8.contains(64) else { return nil }
        return t.lowercased()
    }
}

/// Options every reader understands; each reader documents which it uses.
public struct ReaderOptions: Sendable, Equatable {
    /// nginx `log_format` string for the `nginx` reader (nil: the `combined` format).
    public var logFormat: String?
    /// Field map for JSON / CSV readers: role (`time`, `visitor`, `action`, …) → field name or dotted path.
    public var fields: [String: String] = [:]
    /// Offset east of UTC, in seconds, for timestamps written without one.
    public var timezoneOffset: Int = 0
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

    public init() {}
}
