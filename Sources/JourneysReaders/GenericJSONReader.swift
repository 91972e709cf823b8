import JourneysCore

/// STUB — being written.
public struct GenericJSONReader: LogReader {
    public static let format = "jsonl"
    public static let descriptor = ReaderDescriptor(name: format, channel: "web", summary: "not yet implemented", options: "",
        make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in GenericJSONReader() }, sniff: nil)
    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        .rejected(.malformed, "not implemented")
    }
}
