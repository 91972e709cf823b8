import Crypto
import Foundation
import JourneysCore
import JourneysIO
import JourneysReaders
import JourneysStages
import Yams

/// A configuration error in a pipeline file, naming the file, line and key path.
public struct PipelineError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var path: String
    public var message: String
    public var description: String {
        let at = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(at): \(message)" : "\(at): \(path): \(message)"
    }
}

/// The `privacy:` section. The key itself never appears in a pipeline file or on the command line.
public struct PrivacyConfig: Sendable {
    /// A file holding the pseudonym key (relative paths are relative to the pipeline file);
    /// it must not be readable by group or others. `JOURNEYS_PII_KEY` in the environment wins.
    public var keyFile: String?
    public init() {}
}

/// One `sources:` entry.
public struct SourceConfig: Sendable {
    /// A path, a glob (`logs/*.gz`), a directory, or `-` for stdin.
    public var path: String
    public var format: String?
    public var options: ReaderOptions
}

/// A pipeline file: what to read (sources, identity) and how to turn it into journeys
/// (sessions, channels, stages, attribution, paths, pain points, outputs).
public struct PipelineConfig: Sendable {
    public var sources: [SourceConfig] = []
    public var journey = JourneyConfig()
    public var outputs = OutputsConfig()
    /// Identity settings, applied to every source.
    public var identity = IdentityOptions()
    /// `privacy:` settings: where the pseudonym key is kept.
    public var privacy = PrivacyConfig()
    /// `state:` settings: the folder that keeps earlier nights, and for how long.
    public var state = StateSettings()
    /// The file it came from (for messages), or `<default>`.
    public var file = "<default>"
    /// The SHA-256 of the file's bytes, in hex (nil for the embedded default): `summary.json`
    /// names the pipeline that made it.
    public var sha256: String?

    public init() {}

    /// Options for inputs named on the command line (no source entry): defaults plus identity.
    public var defaultReaderOptions: ReaderOptions {
        var o = ReaderOptions()
        o.identity = identity
        o.timezone = journey.zone
        return o
    }

    /// Loads and validates a pipeline file. Unknown keys are errors, with their line and key path.
    public static func load(path: String) throws(PipelineError) -> PipelineConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError(file: path, line: nil, path: "", message: "cannot read the pipeline file")
        }
        return try parse(bytes: [UInt8](data), file: path)
    }

    /// Parses a pipeline file's bytes, which must be UTF-8 (what `load` and the `pipeline` fuzz target do).
    public static func parse(bytes: [UInt8], file: String) throws(PipelineError) -> PipelineConfig {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PipelineError(file: file, line: nil, path: "", message: "cannot read the pipeline file: it is not UTF-8")
        }
        var c = try parse(text, file: file)
        c.sha256 = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return c
    }

    public static func parse(_ text: String, file: String) throws(PipelineError) -> PipelineConfig {
        if let (line, message) = YAMLPreScan.problem(text) {
            throw PipelineError(file: file, line: line, path: "", message: message)
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw PipelineError(file: file, line: Self.line(of: e), path: "", message: "not valid YAML: \(e)")
        } catch {
            throw PipelineError(file: file, line: nil, path: "", message: "not valid YAML: \(error)")
        }
        var c = PipelineConfig()
        c.file = file
        guard let root else { return c }
        let r = YAMLReader(file: file)
        let top = try r.mapping(root, "")
        try r.onlyKeys(top, ["version", "sources", "identity", "sessions", "channels", "stages", "attribution", "paths",
                             "pain_points", "outputs", "privacy", "state", "timezone"], at: "")
        if let v = top["timezone"] { c.journey.zone = try r.zone(v, "timezone") }
        if let v = top["version"] {
            guard try r.int(v, "version", in: 0...Int.max) == 1 else { throw r.error(v, "version", "only version 1 is known") }
        }
        if let idNode = top["identity"] {
            c.identity = try r.identity(idNode)
            if case .mapping(let m) = idNode, let v = m["merge_limit"] { c.journey.mergeLimit = try r.int(v, "identity.merge_limit", in: 1...1_000_000) }
            if case .mapping(let m) = idNode, let v = m["chat_visitor_is_web_visitor"] {
                c.journey.chatVisitorIsWebVisitor = try r.bool(v, "identity.chat_visitor_is_web_visitor")
            }
        }
        try r.journeySections(top, into: &c)
        if let pv = top["privacy"] {
            let m = try r.mapping(pv, "privacy")
            try r.onlyKeys(m, ["key_file"], at: "privacy")
            if let v = m["key_file"] { c.privacy.keyFile = try r.path(v, "privacy.key_file") }
        }
        if let st = top["state"] {
            let m = try r.mapping(st, "state")
            try r.onlyKeys(m, ["dir", "retention"], at: "state")
            if let v = m["dir"] { c.state.dir = try r.path(v, "state.dir") }
            if let v = m["retention"] {
                var text = try r.string(v, "state.retention")
                if text.hasSuffix("d") { text.removeLast() }
                guard let days = Int(text), (1...100_000).contains(days) else {
                    throw r.error(v, "state.retention", "must be a number of days, such as 400 or 400d")
                }
                c.state.retentionDays = days
            }
        }
        if let srcs = top["sources"] {
            guard case .sequence(let seq) = srcs else { throw r.error(srcs, "sources", "must be a list") }
            for (i, s) in seq.enumerated() {
                c.sources.append(try r.source(s, "sources[\(i)]", identity: c.identity, zone: c.journey.zone, baseDir: (file as NSString).deletingLastPathComponent))
            }
        }
        return c
    }

    static func line(of e: YamlError) -> Int? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }
}

/// Typed access to YAML nodes with errors that name the line and key path.
struct YAMLReader {
    let file: String

    func error(_ n: Node, _ path: String, _ m: String) -> PipelineError {
        PipelineError(file: file, line: n.mark.map { $0.line }, path: path, message: m)
    }

    func mapping(_ n: Node, _ path: String) throws(PipelineError) -> [String: Node] {
        guard case .mapping(let m) = n else { throw error(n, path, "must be a mapping of keys to values") }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard let key = k.string else { throw error(k, path, "keys must be text") }
            if out[key] != nil { throw error(k, join(path, key), "the key appears twice") }
            out[key] = v
        }
        return out
    }

    func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : "\(a).\(b)" }

    func onlyKeys(_ m: [String: Node], _ allowed: [String], at path: String) throws(PipelineError) {
        for (k, v) in m.sorted(by: { ($0.value.mark?.line ?? 0) < ($1.value.mark?.line ?? 0) }) where !allowed.contains(k) {
            throw error(v, join(path, k), "unknown key; known keys here: \(allowed.joined(separator: ", "))")
        }
    }

    /// A file or folder path; a relative one is relative to the pipeline file's folder.
    func path(_ n: Node, _ key: String) throws(PipelineError) -> String {
        let p = try string(n, key)
        let baseDir = (file as NSString).deletingLastPathComponent
        return !p.hasPrefix("/") && !baseDir.isEmpty ? SourcePaths.normalise(baseDir + "/" + p) : p
    }

    func string(_ n: Node, _ path: String) throws(PipelineError) -> String {
        guard case .scalar(let s) = n else { throw error(n, path, "must be a text value") }
        return s.string
    }

    /// A whole number in `range` (every count in a pipeline file has one: no negative counts).
    func int(_ n: Node, _ path: String, in range: ClosedRange<Int>) throws(PipelineError) -> Int {
        guard let v = Int(try string(n, path)) else { throw error(n, path, "must be a whole number") }
        guard range.contains(v) else { throw error(n, path, "must be a whole number from \(range.lowerBound) to \(range.upperBound)") }
        return v
    }

    func bool(_ n: Node, _ path: String) throws(PipelineError) -> Bool {
        switch try string(n, path).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(n, path, "must be true or false")
        }
    }

    /// A mapping of strings to strings (`fields:`, `actions:`, …), each value's error naming its key.
    func stringMap(_ n: Node, _ path: String) throws(PipelineError) -> [String: String] {
        var out: [String: String] = [:]
        for (k, x) in try mapping(n, path) { out[k] = try string(x, "\(path).\(k)") }
        return out
    }

    /// A list of text values, each at most once (a repeat is a mistake: a table written twice,
    /// a model counted twice); `nonEmpty` when an empty list would mean nothing or everything.
    func strings(_ n: Node, _ path: String, nonEmpty: Bool = false) throws(PipelineError) -> [String] {
        guard case .sequence(let seq) = n else { throw error(n, path, "must be a list") }
        if nonEmpty, seq.isEmpty { throw error(n, path, "must list at least one value") }
        var out: [String] = []
        var seen: Set<String> = []
        for (i, x) in seq.enumerated() {
            let v = try string(x, "\(path)[\(i)]")
            if !seen.insert(v).inserted { throw error(x, "\(path)[\(i)]", "\"\(v)\" is listed twice") }
            out.append(v)
        }
        return out
    }

    func identity(_ n: Node) throws(PipelineError) -> IdentityOptions {
        let m = try mapping(n, "identity")
        try onlyKeys(m, ["visitor_cookies", "customer_cookies", "customer_params", "email_params", "customer_fields",
                         "ignore_values", "fallback_visitor", "merge_limit", "chat_visitor_is_web_visitor"], at: "identity")
        var id = IdentityOptions()
        if let v = m["visitor_cookies"] { id.visitorCookies = try strings(v, "identity.visitor_cookies") }
        if let v = m["customer_cookies"] { id.customerCookies = try strings(v, "identity.customer_cookies") }
        if let v = m["customer_params"] { id.customerParams = try strings(v, "identity.customer_params") }
        if let v = m["email_params"] { id.emailParams = try strings(v, "identity.email_params") }
        if let v = m["customer_fields"] { id.customerFields = try strings(v, "identity.customer_fields") }
        if let v = m["ignore_values"] { id.ignoreValues = Set(try strings(v, "identity.ignore_values").map { $0.lowercased() }) }
        if let v = m["fallback_visitor"] { id.fallbackVisitor = try bool(v, "identity.fallback_visitor") }
        return id
    }

    /// A time zone: an IANA name (`Europe/Berlin`), a fixed offset (`+02:00`) or `UTC`.
    func zone(_ n: Node, _ key: String) throws(PipelineError) -> Zone {
        let text = try string(n, key)
        do throws(Zone.Unknown) { return try Zone.named(text) } catch { throw self.error(n, key, "\(error)") }
    }

    func source(_ n: Node, _ path: String, identity: IdentityOptions, zone: Zone, baseDir: String) throws(PipelineError) -> SourceConfig {
        let m = try mapping(n, path)
        try onlyKeys(m, ["path", "format", "log_format", "fields", "timezone", "time_format", "channel", "delimiter",
                         "skip_bots", "skip_assets", "asset_extensions", "value_param", "currency_param", "text_limit",
                         "actions", "ignore", "constants", "values", "records", "unwrap"], at: path)
        guard let p = m["path"] else { throw error(n, path, "a source needs a `path` (a file, glob, directory or -)") }
        var o = ReaderOptions()
        o.identity = identity
        o.timezone = zone
        var format: String?
        if let v = m["format"] {
            let f = try string(v, "\(path).format")
            if f != "auto" {
                guard ReaderRegistry.descriptor(named: f) != nil else {
                    throw error(v, "\(path).format", "unknown format \"\(f)\"; known: auto, \(ReaderRegistry.names.joined(separator: ", "))")
                }
                format = f
            }
        }
        if let v = m["log_format"] { o.logFormat = try string(v, "\(path).log_format") }
        if let v = m["fields"] { o.fields = try stringMap(v, "\(path).fields") }
        if let v = m["actions"] { o.actions = try stringMap(v, "\(path).actions") }
        if let v = m["ignore"] { o.ignore = try strings(v, "\(path).ignore") }
        if let v = m["constants"] { o.constants = try stringMap(v, "\(path).constants") }
        if let v = m["values"] {
            var all: [String: [String: String]] = [:]
            for (role, x) in try mapping(v, "\(path).values") { all[role] = try stringMap(x, "\(path).values.\(role)") }
            o.values = all
        }
        if let v = m["records"] { o.records = try string(v, "\(path).records") }
        if let v = m["unwrap"] { o.unwrap = try string(v, "\(path).unwrap") }
        if let v = m["timezone"] {
            o.timezone = try self.zone(v, "\(path).timezone")
            o.timezoneIsSources = true
        }
        if let v = m["time_format"] {
            let tf = try string(v, "\(path).time_format")
            guard TimeField.formats.contains(tf) else {
                throw error(v, "\(path).time_format", "must be one of \(TimeField.formats.joined(separator: ", "))")
            }
            o.timeFormat = tf
        }
        if let v = m["channel"] {
            guard let ch = Channel(rawValue: try string(v, "\(path).channel")) else {
                throw error(v, "\(path).channel", "must be one of \(Channel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            o.channel = ch
        }
        if let v = m["delimiter"] {
            let d = try string(v, "\(path).delimiter")
            guard d.utf8.count == 1 || d == "\\t" else { throw error(v, "\(path).delimiter", "must be one character (or \\t)") }
            o.delimiter = d == "\\t" ? 9 : d.utf8.first!
        }
        if let v = m["skip_bots"] { o.skipBots = try bool(v, "\(path).skip_bots") }
        if let v = m["skip_assets"] { o.skipAssets = try bool(v, "\(path).skip_assets") }
        if let v = m["asset_extensions"] { o.assetExtensions = Set(try strings(v, "\(path).asset_extensions").map { $0.lowercased() }) }
        if let v = m["value_param"] { o.valueParam = try string(v, "\(path).value_param") }
        if let v = m["currency_param"] { o.currencyParam = try string(v, "\(path).currency_param") }
        if let v = m["text_limit"] { o.textLimit = try int(v, "\(path).text_limit", in: 1...LineChunker.maxLineLengthCap) }
        // Check the reader accepts these options now, not at 3 a.m. in the middle of a run.
        if let format {
            do throws(ConfigError) {
                _ = try ReaderRegistry.make(format: format, options: o)
            } catch {
                throw self.error(n, "\(path).\(error.path)", error.message)
            }
        }
        var sourcePath = try string(p, "\(path).path")
        if sourcePath != "-", !sourcePath.hasPrefix("/"), !baseDir.isEmpty {
            sourcePath = SourcePaths.normalise(baseDir + "/" + sourcePath)
        }
        return SourceConfig(path: sourcePath, format: format, options: o)
    }
}

/// Expands a source path: `-`, a directory, a glob pattern or a plain file.
public enum SourcePaths {
    /// Removes `.` and `dir/..` segments lexically (`pipelines/../fixtures/a` → `fixtures/a`).
    public static func normalise(_ path: String) -> String {
        var out: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            if part == "." { continue }
            if part == "..", let last = out.last, last != "..", !last.isEmpty { out.removeLast(); continue }
            out.append(part)
        }
        let joined = out.joined(separator: "/")
        return joined.isEmpty ? "." : joined
    }

    /// The inputs of a source path (see `Inputs.expand`); a pattern that matches nothing, or
    /// cannot be expanded, is one input with that problem.
    public static func expand(_ path: String, format: String?, excluding: ExcludedDirectory? = nil) -> [InputSpec] {
        guard path.contains("*") || path.contains("?") || path.contains("[") else {
            return Inputs.expand([path], format: format, excluding: excluding)
        }
        var g = glob_t()
        defer { globfree(&g) }
        let rc = glob(path, 0, nil, &g)
        guard rc == 0 else {
            let problem = rc == GLOB_NOMATCH ? InputError(kind: .missing, path: path, reason: "no file matches this pattern")
                : InputError(kind: .unreadable, path: path, reason: "cannot expand this pattern")
            return [InputSpec(path: path, format: format, problem: problem)]
        }
        var names: [String] = []
        for i in 0..<Int(g.gl_pathc) { if let p = g.gl_pathv[i] { names.append(String(cString: p)) } }
        names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        return Inputs.expand(names, format: format, excluding: excluding)
    }
}
