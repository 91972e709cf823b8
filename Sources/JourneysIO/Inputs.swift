import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One input of a run: a file, or standard input.
public struct InputSpec: Sendable, Hashable {
    /// The path as the user gave it (or found in a directory); `-` for stdin.
    public var path: String
    /// The format name to read it with, or nil for auto-detection.
    public var format: String?

    public init(path: String, format: String? = nil) {
        self.path = path
        self.format = format
    }

    public var isStdin: Bool { path == "-" }
    /// The name used in messages and outputs.
    public var displayName: String { isStdin ? "<stdin>" : path }
}

/// Why an input could not be opened. Messages name the path and the operating system's reason.
public struct InputError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case missing, unreadable, notAFile }
    public var kind: Kind
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
    public init(kind: Kind, path: String, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }
}

public enum Inputs {
    /// Expands the user's arguments: a directory becomes its regular files sorted by name
    /// (hidden files skipped), `-` is stdin, no argument at all means stdin.
    public static func expand(_ args: [String], format: String? = nil) throws(InputError) -> [InputSpec] {
        if args.isEmpty { return [InputSpec(path: "-", format: format)] }
        var out: [InputSpec] = []
        for a in args {
            if a == "-" { out.append(InputSpec(path: "-", format: format)); continue }
            var st = stat()
            guard stat(a, &st) == 0 else {
                let e = errno
                throw InputError(kind: e == ENOENT ? .missing : .unreadable, path: a, reason: String(cString: strerror(e)))
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                guard let dir = opendir(a) else {
                    throw InputError(kind: .unreadable, path: a, reason: String(cString: strerror(errno)))
                }
                var names: [String] = []
                while let ent = readdir(dir) {
                    let name = withUnsafePointer(to: ent.pointee.d_name) {
                        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                    }
                    if name.hasPrefix(".") { continue }
                    let full = a.hasSuffix("/") ? a + name : a + "/" + name
                    var fst = stat()
                    if stat(full, &fst) == 0, (fst.st_mode & S_IFMT) == S_IFREG { names.append(full) }
                }
                closedir(dir)
                // Sort by bytes, not by locale, so every machine orders the same way.
                names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                out.append(contentsOf: names.map { InputSpec(path: $0, format: format) })
            } else {
                out.append(InputSpec(path: a, format: format))
            }
        }
        return out
    }

    /// Opens an input for reading and returns its file descriptor (0 for stdin).
    public static func open(_ spec: InputSpec) throws(InputError) -> Int32 {
        if spec.isStdin { return 0 }
        let fd = Glibc.open(spec.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw InputError(kind: e == ENOENT ? .missing : .unreadable, path: spec.path, reason: String(cString: strerror(e)))
        }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw InputError(kind: .notAFile, path: spec.path, reason: "is a directory")
        }
        return fd
    }

    /// A read function over a file descriptor for `ByteStreamDecoder`: bytes read, 0 at end, `-errno`.
    public static func reader(fd: Int32) -> (UnsafeMutableRawBufferPointer) -> Int {
        return { buf in
            while true {
                let n = Glibc.read(fd, buf.baseAddress, buf.count)
                if n >= 0 { return n }
                if errno == EINTR { continue }
                return -Int(errno)
            }
        }
    }
}

/// What scanning one input produced, besides its chunks.
public struct InputScan: Sendable {
    public var decoder: ByteStreamDecoder.Report
    /// Lines handed out in chunks (including over-long ones).
    public var lines: Int64
    /// Bytes of a partial last line dropped because the input was truncated.
    public var droppedPartialBytes: Int
    /// Garbage skipped between gzip members.
    public var gaps: [InputGap]
}

public enum InputScanner {
    /// Reads one open input to its end, handing out chunks of whole lines in order.
    ///
    /// A truncated or corrupt gzip input keeps the complete lines decoded before the damage;
    /// the partial line at the cut is dropped and counted. When `stop` returns true the input
    /// is treated as ended (the consumer has gone away).
    public static func scan(fd: Int32, input: Int32, chunkSize: Int = 1 << 20, maxLineLength: Int = 1 << 20,
                            bufferSize: Int = ByteStreamDecoder.defaultBufferSize,
                            stop: @escaping () -> Bool = { false },
                            emit: @escaping (LineChunk) -> Void) -> InputScan {
        var chunker = LineChunker(input: input, chunkSize: chunkSize, maxLineLength: maxLineLength, emit: emit)
        let read = Inputs.reader(fd: fd)
        let report = ByteStreamDecoder(bufferSize: bufferSize).decode(read: { stop() ? 0 : read($0) }, into: &chunker)
        let dropped = chunker.finish(keepPartialLine: report.lastLineIsWhole)
        return InputScan(decoder: report, lines: chunker.linesSeen, droppedPartialBytes: dropped, gaps: chunker.gaps)
    }
}

/// Process-wide memory settings for streaming runs.
public enum MemoryTuning {
    /// Tells glibc's malloc to keep the ~1 MiB chunk buffers in its heap: with the default
    /// threshold each is a fresh mmap whose pages the kernel zeroes again (about 9% of a run).
    public static func forStreaming() { journeys_tune_malloc() }

    /// Returns memory malloc holds free to the kernel (after a partition's touchpoints are freed).
    public static func releaseFreeMemory() { journeys_release_free_memory() }
}
