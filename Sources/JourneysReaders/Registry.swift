import JourneysCore

/// Describes one log format: its name, what it reads, and how to make and recognise a reader.
public struct ReaderDescriptor: Sendable {
    /// The format name used with `--format` and in pipeline files.
    public let name: String
    /// The channel its touchpoints usually belong to (for `journeys formats`).
    public let channel: String
    /// One line for `journeys formats`.
    public let summary: String
    /// The options it reads from a pipeline source, for `journeys formats`.
    public let options: String
    /// Makes a reader for one input.
    public let make: @Sendable (ReaderOptions) throws(ConfigError) -> any LogReader
    /// Says whether a sample line looks like this format (used by `--format auto`); nil for
    /// formats that need a field map and are never guessed.
    public let sniff: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)?

    public init(name: String, channel: String, summary: String, options: String,
                make: @escaping @Sendable (ReaderOptions) throws(ConfigError) -> any LogReader,
                sniff: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)?) {
        self.name = name
        self.channel = channel
        self.summary = summary
        self.options = options
        self.make = make
        self.sniff = sniff
    }
}

/// The one lookup table of formats. Adding a format: one reader file, one line here.
public enum ReaderRegistry {
    /// In sniffing priority order: the most specific formats first.
    public static let all: [ReaderDescriptor] = [
        W3CExtendedReader.descriptor,
        SendGridEventReader.descriptor,
        SESEventReader.descriptor,
    ] + Presets.all.map(\.descriptor) + [
        ChatEventReader.descriptor,
        JSONAccessReader.descriptor,
        NginxAccessReader.combinedDescriptor,
        NginxAccessReader.commonDescriptor,
        NginxAccessReader.customDescriptor,
        GenericJSONReader.descriptor,
        GenericCSVReader.descriptor,
    ]

    public static var names: [String] { all.map(\.name) }

    public static func descriptor(named name: String) -> ReaderDescriptor? {
        all.first { $0.name == name }
    }

    /// Makes a reader, or explains which names exist.
    public static func make(format: String, options: ReaderOptions) throws(ConfigError) -> any LogReader {
        guard let d = descriptor(named: format) else {
            throw ConfigError("format", "unknown format \"\(format)\"; known formats: \(names.joined(separator: ", "))")
        }
        return try d.make(options)
    }

    /// For a sample no format was detected from: the (at most `limit`) formats most of its
    /// lines look like, each with how many do and why the first line that does not fails to
    /// read as it (`combined: 3 of 20 lines; line 4: malformed: …`). Formats no line looks like
    /// are named only when none does, with why the first line fails.
    public static func closest(_ sample: [[UInt8]], limit: Int = 3) -> [String] {
        let lines = sample.enumerated().filter { $0.element.contains { $0 != 32 && $0 != 9 && $0 != 13 } }
        guard !lines.isEmpty else { return [] }
        var ranked: [(d: ReaderDescriptor, hits: Int, miss: (Int, [UInt8])?)] = []
        for d in all {
            guard let sniff = d.sniff else { continue }
            var hits = 0
            var miss: (Int, [UInt8])?
            for (n, l) in lines {
                if l.withUnsafeBufferPointer({ sniff($0) }) { hits += 1 } else if miss == nil { miss = (n + 1, l) }
            }
            ranked.append((d, hits, miss))
        }
        let anyHits = ranked.contains { $0.hits > 0 }
        if !anyHits, let first = lines.first?.element, first.withUnsafeBufferPointer({ JSONLine.looksLikeJSON($0) }) {
            // JSON: the presets whose keys the first line has most of, and the ones it lacks.
            var near: [(name: String, have: Int, lacks: [String])] = []
            for p in Presets.all where !p.detect.isEmpty {
                if case .nginx = p.base { continue }
                let best = p.detect.map { g in g.filter { k in !first.withUnsafeBufferPointer { JSONLine.mentions($0, k) } } }
                    .enumerated().min { $0.element.count < $1.element.count }!
                let have = p.detect[best.offset].count - best.element.count
                if have > 0 { near.append((p.name, have, best.element)) }
            }
            let top = near.sorted { ($0.have, $1.name) > ($1.have, $0.name) }.prefix(limit)
            if !top.isEmpty {
                return top.map { "\($0.name): line 1 lacks " + $0.lacks.map { "\"\($0)\"" }.joined(separator: ", ") }
            }
        }
        let picked = anyHits ? ranked.filter { $0.hits > 0 }.sorted { $0.hits > $1.hits }.prefix(limit)
                             : ranked.filter { ["combined", "json_access", "jsonl", "w3c", "csv"].contains($0.d.name) }.prefix(limit)
        return picked.map { c in
            var text = "\(c.d.name): \(c.hits) of \(lines.count) lines look like it"
            if let (n, line) = c.miss, var reader = try? c.d.make(ReaderOptions()) {
                var out = TouchpointBuffer()
                let verdict = line.withUnsafeBufferPointer { reader.read($0, origin: Origin(input: 0, line: Int64(n), offset: 0), into: &out) }
                if case .rejected(let reason, let detail) = verdict { text += "; line \(n): \(reason.rawValue): \(JSONLine.cut(detail, 120))" }
            }
            return text
        }
    }

    /// Picks the format most of the sample lines look like (blank lines ignored); nil when none
    /// matches at least half of them.
    public static func detect(_ sample: [[UInt8]]) -> String? {
        let lines = sample.filter { line in line.contains { $0 != 32 && $0 != 9 && $0 != 13 } }
        guard !lines.isEmpty else { return nil }
        for d in all {
            guard let sniff = d.sniff else { continue }
            var hits = 0
            for l in lines where l.withUnsafeBufferPointer({ sniff($0) }) { hits += 1 }
            if hits * 2 >= lines.count, hits > 0 { return d.name }
        }
        return nil
    }
}
