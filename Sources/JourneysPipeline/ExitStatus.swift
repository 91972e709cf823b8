#if canImport(Glibc)
import Glibc
#endif
import JourneysReports

/// The program's exit statuses (BSD `sysexits.h` where one fits). Documented in the README and `--help`.
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    /// The run completed and published, but some inputs were damaged (truncated / corrupt gzip).
    case partial = 3
    case usage = 64
    /// Bad data: rejects over the threshold, or damage under `--strict`.
    case dataError = 65
    /// An input is missing or unreadable.
    case noInput = 66
    /// An internal invariant broke (a bug).
    case software = 70
    case cannotCreate = 73
    case ioError = 74
    /// Another run holds the lock.
    case tempFail = 75
    case config = 78

    public static let helpText = """
    Exit statuses: 0 success; 3 completed but some inputs were damaged; 64 usage error; \
    65 bad data (rejects over --max-reject-ratio, damage under --strict, no line read by run \
    without --allow-empty, a format that could not be detected); 66 an input is missing or unreadable (the others are read; nothing is \
    published when none could be, or under --strict); 70 internal error; 73 cannot create \
    outputs; 74 I/O error (disk full, broken output); 75 another run holds the output \
    directory's lock; 78 configuration error; 130 / 143 interrupted by SIGINT / SIGTERM before \
    publishing (nothing published; a signal after publishing leaves the run's own status). \
    Over several inputs the status is the worst of theirs, whatever their order: 65 over 66 over 3.
    """
}

extension ExitStatus {
    /// How bad an input's outcome is, for taking the worst over all inputs whatever their order:
    /// bad data (65) over a missing input (66) over damage (3) over success.
    var severity: Int {
        switch self {
        case .ok: 0
        case .partial: 1
        case .noInput: 2
        case .dataError: 3
        default: 4
        }
    }

    /// The more severe of two statuses.
    func worst(_ other: ExitStatus) -> ExitStatus { other.severity > severity ? other : self }

    /// The status of a failed output: 73 when it cannot be created where it must go
    /// (permissions, a read-only file system, a directory in the way, a symbolic link), else 74
    /// (disk full, EIO, a failed fsync, and errors that are not a file operation's).
    public static func writing(_ error: any Error) -> ExitStatus {
        guard let e = error as? FileError else { return .ioError }
        return [EACCES, EPERM, EROFS, ENOENT, ENOTDIR, EISDIR, ELOOP, EINVAL].contains(e.errno) ? .cannotCreate : .ioError
    }
}
