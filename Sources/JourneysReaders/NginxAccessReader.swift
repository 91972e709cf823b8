import JourneysCore

/// STUB — being written.
public struct NginxAccessReader: LogReader {
    public static let format = "nginx"
    static func stub(_ n: String) -> ReaderDescriptor {
        ReaderDescriptor(name: n, channel: "web", summary: "not yet implemented", options: "",
            make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in NginxAccessReader() }, sniff: nil)
    }
    public static let combinedDescriptor = stub("combined")
    public static let commonDescriptor = stub("common")
    public static let customDescriptor = stub("nginx")
    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        .rejected(.malformed, "not implemented")
    }
}
