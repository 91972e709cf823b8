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
