#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import JourneysCore

/// A file operation that failed: the path, what was being done, and the errno.
///
/// A runner maps `errno` to an exit status: ENOSPC, EIO, EDQUOT … are I/O errors (74); EACCES,
/// EROFS, ENOENT, ENOTDIR, EISDIR, EINVAL on creating or publishing are "cannot create
/// outputs" (73).
public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var errno: Int32

    public init(path: String, operation: String, errno: Int32) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    public var description: String { "\(path): \(operation): \(String(cString: strerror(errno)))" }
}

/// One output being written to its temp file; every write is checked.
public final class OutputFile {
    /// The final name in the output directory.
    public let name: String
    /// The temp file's path (what errors name).
    public let tempPath: String
    fileprivate var fd: Int32
    private var buffer: [UInt8] = []
    private let limit = 1 << 20
    /// Bytes written so far (buffered or not).
    public private(set) var written: Int64 = 0

    fileprivate init(name: String, tempPath: String, fd: Int32) {
        self.name = name
        self.tempPath = tempPath
        self.fd = fd
        buffer.reserveCapacity(limit + 4096)
    }

    public func write(_ bytes: [UInt8]) throws(FileError) {
        buffer.append(contentsOf: bytes)
        written += Int64(bytes.count)
        if buffer.count >= limit { try flush() }
    }

    public func write(_ text: String) throws(FileError) {
        buffer.append(contentsOf: text.utf8)
        written += Int64(text.utf8.count)
        if buffer.count >= limit { try flush() }
    }

    /// Takes back everything written after the first `size` bytes.
    public func truncate(to size: Int64) throws(FileError) {
        try flush()
        if ftruncate(fd, off_t(size)) != 0 { throw FileError(path: tempPath, operation: "truncate", errno: errno) }
        if lseek(fd, off_t(size), SEEK_SET) < 0 { throw FileError(path: tempPath, operation: "seek", errno: errno) }
        written = size
    }

    /// Hands the buffered bytes to the kernel (a POSIX `write` loop that retries EINTR and
    /// short writes and throws on anything else).
    public func flush() throws(FileError) {
        let err = WriteAll.write(fd, buffer)
        buffer.removeAll(keepingCapacity: true)
        if let err { throw FileError(path: tempPath, operation: "write", errno: err) }
    }
}


/// An output directory whose files are published all together or not at all.
///
/// Each file is written to `.NAME.tmp-PID` in the directory itself (same file system, so the
/// rename is atomic), and fsynced and closed when its writer returns. `commit()` then renames
/// every temp over its final name, in the order the files were written, and fsyncs the
/// directory, so after a crash either yesterday's file or today's complete one is in place,
/// never half a file. A failed write (or a writer that throws) removes every temp of this run
/// and makes `commit()` refuse: no output is replaced. Temps that killed runs left behind are
/// removed by `removeStaleTemps()`, which the holder of the directory's run lock calls.
///
/// Nothing in the directory is opened through a symbolic link: every file is created with
/// `openat` on the directory's descriptor, `O_EXCL` and `O_NOFOLLOW`, and renames replace a
/// link itself, never what it points to. Anyone who can write the folder can plant links;
/// a root cron run must not write through them.
///
/// Renames themselves cannot be made all-or-nothing across several names: `commit()` first
/// checks that no final name is a directory, which is the one failure a rename in a writable
/// directory can be expected to meet, and a rename that still fails stops the commit with an
/// error naming what was already published. Write `summary.json` last: when it is new, every
/// other file is too.
///
/// Plain POSIX (`openat`, `write`, `fsync`, `renameat`) rather than Foundation's atomic write,
/// which does not fsync the directory and can leave `.dat.nosync*` files behind. Not thread-safe.
public final class OutputDirectory {
    public let path: String
    /// Stale temp files removed by `removeStaleTemps()`.
    public private(set) var removedStaleTemps: [String] = []
    /// Every file was renamed into place (even when the directory's fsync then failed).
    public var isPublished: Bool { state == .committed }
    /// Final names written so far (not yet published).
    public var pendingNames: [String] { pending.map(\.name) }

    private var dirFD: Int32
    private var pending: [(name: String, temp: String)] = []
    private enum State { case open, failed, committed }
    private var state = State.open
    private let pid = getpid()

    /// Opens `path` (creating it and its parents, mode 0755, when missing and `create` is true).
    public init(path: String, create: Bool = true) throws(FileError) {
        self.path = path
        if create { try Self.makeDirectories(path) }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open directory", errno: errno) }
        dirFD = fd
    }

    /// The open directory, for files that must be opened relative to it (`openat`).
    public var descriptor: Int32 { dirFD }

    deinit {
        if state != .committed { removeTemps() }
        close(dirFD)
    }

    /// The temp name of an output (`.journeys.csv.tmp-4711`).
    public static func tempName(_ name: String, pid: Int32) -> String { ".\(name).tmp-\(pid)" }

    /// Writes `name` through `body` into its temp file, then fsyncs and closes it. If `body` or
    /// any write throws, every temp of this directory is removed and the error is rethrown;
    /// the directory then refuses further writes and `commit()`.
    public func write(_ name: String, mode: mode_t = 0o644, _ body: (OutputFile) throws -> Void) throws {
        try checkOpen(name)
        let temp = Self.tempName(name, pid: pid)
        let tempPath = join(temp)
        _ = unlinkat(dirFD, temp, 0)
        let fd = openat(dirFD, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { let e = errno; fail(); throw FileError(path: tempPath, operation: "create", errno: e) }
        pending.append((name, temp))
        let file = OutputFile(name: name, tempPath: tempPath, fd: fd)
        do {
            try body(file)
            try file.flush()
            if fsync(fd) != 0 { throw FileError(path: tempPath, operation: "fsync", errno: errno) }
            let r = close(fd)
            file.fd = -1
            if r != 0 { throw FileError(path: tempPath, operation: "close", errno: errno) }
        } catch {
            if file.fd >= 0 { close(file.fd) }
            fail()
            throw error
        }
    }

    /// Writes `bytes` as `name` (see `write(_:mode:_:)`).
    public func write(_ name: String, bytes: [UInt8], mode: mode_t = 0o644) throws {
        try write(name, mode: mode) { try $0.write(bytes) }
    }

    /// Publishes every file written: renames each temp over its final name, removes the files
    /// named in `stale` (outputs of an earlier run that this one does not write, so the folder
    /// holds one run's outputs; removing a link never touches what it points to) and fsyncs the
    /// directory. Throws without renaming anything when a write failed before or a final name
    /// is a directory. Returns the stale files that could not be removed, with why.
    @discardableResult
    public func commit(removing stale: [String] = []) throws(FileError) -> [String] {
        guard state == .open else {
            throw FileError(path: path, operation: state == .failed ? "commit after a failed write" : "commit twice", errno: ECANCELED)
        }
        for p in pending {
            var st = stat()
            if fstatat(dirFD, p.name, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                fail()
                throw FileError(path: join(p.name), operation: "publish", errno: EISDIR)
            }
        }
        var published: [String] = []
        for p in pending {
            if renameat(dirFD, p.temp, dirFD, p.name) != 0 {
                let e = errno
                fail()
                let done = published.isEmpty ? "" : " (already published: \(published.joined(separator: ", ")))"
                throw FileError(path: join(p.name), operation: "rename from \(p.temp)\(done)", errno: e)
            }
            published.append(p.name)
        }
        pending = []
        state = .committed
        var kept: [String] = []
        for name in stale where !published.contains(name) {
            var st = stat()
            guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) != S_IFDIR else { continue }
            if unlinkat(dirFD, name, 0) != 0, errno != ENOENT { kept.append("\(join(name)): \(String(cString: strerror(errno)))") }
        }
        if fsync(dirFD) != 0 { throw FileError(path: path, operation: "fsync directory", errno: errno) }
        return kept
    }

    /// Removes every temp written so far; nothing is published. (Also done when the directory
    /// is released without `commit()`.)
    public func discard() { fail() }

    /// After a run that published: removes what `salvage` left in `folder` (and the folder when
    /// that empties it), never through a link.
    public func removeSalvaged(_ name: String, in folder: String) {
        let sub = openat(dirFD, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard sub >= 0 else { return }
        _ = unlinkat(sub, name, 0)
        close(sub)
        _ = unlinkat(dirFD, folder, AT_REMOVEDIR) // only when empty
    }

    /// For a run that fails: moves the written file `name` into the subfolder `folder` (mode
    /// 0700, created when missing, never through a link), replacing what an earlier failed run
    /// left there, and discards every other file; nothing is published. Returns its path.
    public func salvage(_ name: String, into folder: String) throws(FileError) -> String {
        defer { fail() }
        guard state == .open, let p = pending.first(where: { $0.name == name }) else {
            throw FileError(path: join(name), operation: "keep a failed run's file", errno: ENOENT)
        }
        if mkdirat(dirFD, folder, 0o700) != 0, errno != EEXIST {
            throw FileError(path: join(folder), operation: "create", errno: errno)
        }
        let sub = openat(dirFD, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard sub >= 0 else { throw FileError(path: join(folder), operation: "open", errno: errno) }
        defer { close(sub) }
        if renameat(dirFD, p.temp, sub, name) != 0 {
            throw FileError(path: join(folder) + "/" + name, operation: "rename from \(p.temp)", errno: errno)
        }
        pending.removeAll { $0.name == name }
        _ = fsync(sub)
        _ = fsync(dirFD)
        return join(folder) + "/" + name
    }

    // MARK: - Internals

    private func checkOpen(_ name: String) throws(FileError) {
        guard state == .open else {
            throw FileError(path: join(name), operation: state == .failed ? "write after a failed write" : "write after commit", errno: ECANCELED)
        }
        guard !name.isEmpty, !name.hasPrefix("."), !name.utf8.contains(47), !name.utf8.contains(0) else {
            throw FileError(path: join(name), operation: "output name", errno: EINVAL)
        }
        guard !pending.contains(where: { $0.name == name }) else {
            throw FileError(path: join(name), operation: "written twice", errno: EEXIST)
        }
    }

    private func fail() {
        if state == .open { state = .failed }
        removeTemps()
    }

    private func removeTemps() {
        for p in pending { _ = unlinkat(dirFD, p.temp, 0) }
        pending = []
    }

    private func join(_ name: String) -> String { path.hasSuffix("/") ? path + name : path + "/" + name }

    /// The PID of a temp name `.NAME.tmp-PID`, nil for any other name.
    static func tempPID(_ name: String) -> Int32? {
        let u = Array(name.utf8)
        let marker = Array(".tmp-".utf8)
        guard u.first == 46, u.count > marker.count + 2 else { return nil }
        var i = u.count - marker.count
        while i > 1, !u[i..<(i + marker.count)].elementsEqual(marker) { i -= 1 }
        guard i > 1 else { return nil }
        let digits = u[(i + marker.count)...]
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int32(String(decoding: digits, as: UTF8.self))
    }

    /// Removes every temp (`.NAME.tmp-PID`, whatever the PID) in the directory. Call it only
    /// while holding the directory's run lock: that proves no other run is writing here, so
    /// every temp is a leftover of a killed run. (Judging by PID would not: a run in another
    /// PID namespace has a PID that looks dead from here.)
    public func removeStaleTemps() throws(FileError) {
        let dupFD = dup(dirFD)
        guard dupFD >= 0, let dir = fdopendir(dupFD) else {
            throw FileError(path: path, operation: "list directory", errno: errno)
        }
        defer { closedir(dir) }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if Self.tempPID(name) != nil { stale.append(name) }
        }
        for name in stale.sorted() {
            if unlinkat(dirFD, name, 0) != 0 && errno != ENOENT {
                throw FileError(path: join(name), operation: "remove stale temp", errno: errno)
            }
            removedStaleTemps.append(name)
        }
    }

    private static func makeDirectories(_ path: String) throws(FileError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw FileError(path: prefix, operation: "create directory", errno: errno)
            }
            prefix += "/"
        }
    }
}
