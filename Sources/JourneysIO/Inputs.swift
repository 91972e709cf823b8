import CZlib
import JourneysCore
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
    /// Why this input cannot be read, when expansion already found out (a missing file, a glob
    /// that matches nothing, a symbolic-link loop): opening it reports this, so the input is
    /// named with its reason while the others are read.
    public var problem: InputError?
    /// Found by listing a folder, not named: if no reader recognises it, it is a stray file (a
    /// README, notes) that is reported and skipped rather than a reason to fail the run.
    public var foundInFolder = false
    /// Standard input copied to a file (`Inputs.spool`), read from there instead.
    public var spooled: String?

    public init(path: String, format: String? = nil, problem: InputError? = nil, foundInFolder: Bool = false) {
        self.path = path
        self.format = format
        self.problem = problem
        self.foundInFolder = foundInFolder
    }

    public var isStdin: Bool { path == "-" }
    /// The name used in messages and outputs.
    public var displayName: String { isStdin ? "<stdin>" : path }
}

/// Why an input could not be opened. Messages name the path and the operating system's reason.
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
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

/// A directory that input expansion leaves out — the run's output folder, so that yesterday's
/// reports are never read back as logs — compared by device and inode, not by name. It
/// collects the paths at which expansion met it.
public final class ExcludedDirectory {
    private let device: UInt64
    private let inode: UInt64
    /// Arguments, directory entries or glob matches left out because they are this directory
    /// or a file in it.
    public private(set) var skipped: [String] = []

    /// nil when `path` does not exist (then no input can be in it).
    public init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    /// True, and `path` recorded, when `st` is this directory.
    func skips(_ path: String, _ st: stat) -> Bool {
        guard UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode else { return false }
        skipped.append(path)
        return true
    }

    /// True, and `path` recorded, when the file `path` is directly in this directory.
    func holds(_ path: String) -> Bool {
        var dir = stat()
        let parent = path.utf8.lastIndex(of: 47).map { i in i == path.startIndex ? "/" : String(path[..<i]) } ?? "."
        guard stat(parent, &dir) == 0, UInt64(dir.st_dev) == device, UInt64(dir.st_ino) == inode else { return false }
        skipped.append(path)
        return true
    }
}

public enum Inputs {
    /// Expands the user's arguments: a directory becomes its regular files sorted by name
    /// (hidden files skipped), `-` is stdin, no argument at all means stdin. An argument or
    /// directory entry that cannot be read (missing, a symbolic-link loop, a directory that
    /// cannot be listed) stays in the list with its `problem`, so it is reported and the
    /// others are read. `excluding` (the output folder) and the files in it are left out.
    public static func expand(_ args: [String], format: String? = nil, excluding: ExcludedDirectory? = nil) -> [InputSpec] {
        if args.isEmpty { return [InputSpec(path: "-", format: format)] }
        func unreadable(_ path: String, _ e: Int32) -> InputSpec {
            InputSpec(path: path, format: format,
                      problem: InputError(kind: e == ENOENT ? .missing : .unreadable, path: path, reason: String(cString: strerror(e))))
        }
        var out: [InputSpec] = []
        for a in args {
            if a == "-" { out.append(InputSpec(path: "-", format: format)); continue }
            var st = stat()
            guard stat(a, &st) == 0 else { out.append(unreadable(a, errno)); continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                if excluding?.skips(a, st) == true { continue }
                guard let dir = opendir(a) else { out.append(unreadable(a, errno)); continue }
                var names: [String] = []
                var problems: [InputSpec] = []
                while let ent = readdir(dir) {
                    let name = withUnsafePointer(to: ent.pointee.d_name) {
                        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                    }
                    if name.hasPrefix(".") { continue }
                    let full = a.hasSuffix("/") ? a + name : a + "/" + name
                    var fst = stat()
                    if stat(full, &fst) != 0 {
                        problems.append(unreadable(full, errno)) // a dangling link or a link loop
                    } else if (fst.st_mode & S_IFMT) == S_IFREG {
                        names.append(full)
                    }
                }
                closedir(dir)
                // Sort by bytes, not by locale, so every machine orders the same way.
                names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                out.append(contentsOf: names.map { InputSpec(path: $0, format: format, foundInFolder: true) })
                out.append(contentsOf: problems)
            } else if excluding?.holds(a) != true {
                out.append(InputSpec(path: a, format: format))
            }
        }
        return out
    }

    /// Opens an input for reading and returns its file descriptor (0 for stdin).
    public static func open(_ spec: InputSpec) throws(InputError) -> Int32 {
        if let problem = spec.problem { throw problem }
        if spec.isStdin, spec.spooled == nil {
            if StandardDescriptors.closedAtStart.contains(0) {
                throw InputError(kind: .unreadable, path: spec.displayName, reason: "standard input was closed when journeys started")
            }
            return 0
        }
        let fd = Glibc.open(spec.spooled ?? spec.path, O_RDONLY | O_CLOEXEC)
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

    /// Copies an input that is no regular file (standard input, a named pipe), as it comes, to an
    /// unnamed file in `directory` (so that it can be read twice), and returns a path that opens it (`/proc/self/fd/N`) for `InputSpec.spooled`;
    /// the file goes when the process ends, however it ends.
    public static func spool(from spec: InputSpec, into directory: String) throws(InputError) -> String {
        let source = try open(spec)
        defer { if source != 0 { close(source) } }
        let fd = unnamedFile(in: directory, name: "stdin")
        guard fd >= 0 else {
            throw InputError(kind: .unreadable, path: spec.displayName, reason: "cannot copy it to \(directory): \(String(cString: strerror(errno)))")
        }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        let read = reader(fd: source)
        while true {
            let n = buf.withUnsafeMutableBytes { read($0) }
            if n == 0 { break }
            let err = n < 0 ? Int32(-n) : WriteAll.write(fd, Array(buf[..<n]))
            if let err {
                close(fd)
                throw InputError(kind: .unreadable, path: spec.displayName, reason: "cannot copy it to \(directory): \(String(cString: strerror(err)))")
            }
        }
        return "/proc/self/fd/\(fd)"
    }

    /// Linux's `O_TMPFILE` (a macro Swift does not import): an unnamed file in a directory.
    private static let O_TMPFILE = 0o20000000 | O_DIRECTORY

    /// A new file in `directory` without a name (`O_TMPFILE`; where the file system has none,
    /// `mkstemp` — `O_EXCL`, never through a link — and an unlink at once): nothing is left behind
    /// however the process ends. The descriptor, or -1 with `errno` set.
    public static func unnamedFile(in directory: String, name: String) -> Int32 {
        var f = Glibc.open(directory, O_TMPFILE | O_RDWR | O_CLOEXEC, 0o600)
        if f < 0, errno == EOPNOTSUPP || errno == EISDIR {
            var template = Array((directory + "/.journeys-\(name)-XXXXXX").utf8CString)
            f = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if f >= 0 { template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) } }
        }
        return f
    }

    /// The CRC-32 and length (mod 2^32) in the last 8 bytes of a regular file that starts as
    /// gzip (read with `pread`: the file's offset does not move), else nil.
    public static func gzipTrailer(fd: Int32) -> (crc: UInt32, length: UInt32)? {
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size >= 20 else { return nil }
        var magic = [UInt8](repeating: 0, count: 2), tail = [UInt8](repeating: 0, count: 8)
        guard pread(fd, &magic, 2, 0) == 2, magic == [0x1F, 0x8B], pread(fd, &tail, 8, st.st_size - 8) == 8 else { return nil }
        func le(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(tail[at + $1]) << (8 * UInt32($1)) } }
        return (le(0), le(4))
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

/// Descriptors 0, 1 and 2 that were closed when the process started.
///
/// A closed standard descriptor is a trap: the next file opened lands on it, so touchpoints
/// meant for standard output go into the rejects file, or a lock file is read as standard
/// input. `reopenClosed()` puts /dev/null on each closed one first thing; the commands then
/// refuse to use the one that matters (standard output for `events`, standard input when it is
/// an input) with a clear error instead of writing or reading nothing.
public enum StandardDescriptors {
    nonisolated(unsafe) public private(set) static var closedAtStart: Set<Int32> = []

    /// Opens /dev/null on every closed descriptor of 0–2. Call before anything opens a file.
    public static func reopenClosed() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let null = Glibc.open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
            if null >= 0, null != fd { dup2(null, fd); close(null) }
            closedAtStart.insert(fd)
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
    /// With `known`: the whole content's fingerprint, the prefix left out as read before, and
    /// whether the input must be read again skipping only `restart!` (see `ContentGate`).
    public var content: ContentFingerprint?
    /// The content up to its last newline (the same as `content` when it ends with one).
    public var lineEnd: ContentFingerprint?
    public var matched: ContentFingerprint?
    public var restart: ContentFingerprint??

    public init(decoder: ByteStreamDecoder.Report, lines: Int64, droppedPartialBytes: Int, gaps: [InputGap]) {
        self.decoder = decoder
        self.lines = lines
        self.droppedPartialBytes = droppedPartialBytes
        self.gaps = gaps
    }
}

public enum InputScanner {
    /// Reads one open input to its end, handing out chunks of whole lines in order.
    ///
    /// A truncated or corrupt gzip input keeps the complete lines decoded before the damage;
    /// the partial line at the cut is dropped and counted. When `stop` returns true the input
    /// is treated as ended (the consumer has gone away). With `known` (`journeys run --state`)
    /// a prefix matching content read before is left out and the content fingerprinted
    /// (`ContentGate`); `skip` leaves out a prefix already matched.
    public static func scan(fd: Int32, input: Int32, chunkSize: Int = 1 << 20, maxLineLength: Int = 1 << 20,
                            bufferSize: Int = ByteStreamDecoder.defaultBufferSize,
                            known: [KnownContent]? = nil, skip: ContentFingerprint? = nil,
                            stop: @escaping () -> Bool = { false },
                            emit: @escaping (LineChunk) -> Void) -> InputScan {
        let chunker = LineChunker(input: input, chunkSize: chunkSize, maxLineLength: maxLineLength, emit: emit)
        let read = Inputs.reader(fd: fd)
        let decoder = ByteStreamDecoder(bufferSize: bufferSize)
        guard let known else {
            var chunker = chunker
            let report = decoder.decode(read: { stop() ? 0 : read($0) }, into: &chunker)
            let dropped = chunker.finish(keepPartialLine: report.lastLineIsWhole)
            return InputScan(decoder: report, lines: chunker.linesSeen, droppedPartialBytes: dropped, gaps: chunker.gaps)
        }
        // A gzip file whose trailer (the last member's CRC-32 and length) is that of known content
        // is that content once its head matches too: logrotate's `access.log.2.gz`, read no further.
        let whole = skip == nil ? Inputs.gzipTrailer(fd: fd).map { t in
            known.map(\.fingerprint).filter { $0.crc == t.crc && UInt32(truncatingIfNeeded: $0.length) == t.length }
        } ?? [] : []
        var gate = ContentGate(chunker, known: known, skip: skip, whole: whole)
        let recognised = gate.stop
        var report = decoder.decode(read: { stop() || recognised.isSet ? 0 : read($0) }, into: &gate)
        gate.end()
        if recognised.isSet {
            report.damage = nil // stopped on purpose, not cut short
            report.decompressedBytes = gate.seen
        }
        let dropped = gate.inner.finish(keepPartialLine: report.lastLineIsWhole)
        var scan = InputScan(decoder: report, lines: gate.inner.linesSeen, droppedPartialBytes: dropped, gaps: gate.inner.gaps)
        scan.content = gate.fingerprint(lines: gate.inner.linesSeen)
        scan.lineEnd = gate.lineEnd(lines: gate.inner.linesSeen)
        scan.matched = gate.matched
        scan.restart = gate.restart
        return scan
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
