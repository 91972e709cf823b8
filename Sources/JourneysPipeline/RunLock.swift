#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JourneysReports

/// The lock that keeps two runs from writing one output directory at once: an exclusive
/// `flock` on `OUTDIR/.journeys.lock`, held until the process exits.
///
/// The kernel releases an `flock` when its holder dies (even by `kill -9`), so a lock file left
/// behind never blocks the next run; the PID written in it only serves the message. The file is
/// opened relative to the directory's descriptor without following a symbolic link, and only
/// written when it is a plain file with one link: whoever can write the output folder cannot
/// make a root run overwrite another file with its PID.
public final class RunLock {
    public static let fileName = ".journeys.lock"
    private let fd: Int32

    public enum Failure: Error, CustomStringConvertible {
        /// Another process holds the lock (its PID when it wrote one).
        case held(path: String, pid: Int32?)
        case cannotOpen(path: String, errno: Int32)
        /// The lock file is a symbolic link, a hard link to another file, or not a regular file.
        case notPlainFile(path: String, what: String)

        public var description: String {
            switch self {
            case .held(let path, let pid):
                "another journeys run\(pid.map { " (pid \($0))" } ?? "") holds the lock \(path); nothing was written. Try again when it has finished, or pass --wait to wait for it"
            case .cannotOpen(let path, let e):
                "\(path): cannot open the lock file: \(String(cString: strerror(e)))"
            case .notPlainFile(let path, let what):
                "\(path): the lock file is \(what); journeys does not write through it (nothing was written, the file it leads to is untouched). Remove it and run again"
            }
        }
    }

    /// Takes the lock on `directory`; with `wait`, blocks until it is free.
    public init(directory: OutputDirectory, wait: Bool) throws(Failure) {
        let path = directory.path.hasSuffix("/") ? directory.path + Self.fileName : directory.path + "/" + Self.fileName
        let fd = openat(directory.descriptor, Self.fileName, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let e = errno
            throw e == ELOOP ? .notPlainFile(path: path, what: "a symbolic link") : .cannotOpen(path: path, errno: e)
        }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_nlink == 1 else {
            close(fd)
            throw .notPlainFile(path: path, what: (st.st_mode & S_IFMT) == S_IFREG ? "a hard link to another file" : "not a regular file")
        }
        while flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            if e == EINTR { continue }
            var buf = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buf, 31, 0)
            let pid = n > 0 ? Int32(String(decoding: buf[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) : nil
            close(fd)
            if e == EWOULDBLOCK { throw .held(path: path, pid: pid) }
            throw .cannotOpen(path: path, errno: e)
        }
        self.fd = fd
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(fd) }
}
