#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import JourneysCore

/// Why output could not be written.
public struct OutputError: Error, Sendable, CustomStringConvertible {
    public var target: String
    public var errno: Int32
    public var description: String { "\(target): \(String(cString: strerror(errno)))" }
    /// The reader of a pipe went away (`| head -1`): not a failure of ours.
    public var isBrokenPipe: Bool { errno == EPIPE }
}

/// A buffered byte sink over a file descriptor whose every write is checked.
///
/// Swift's `print` hides write errors and `FileHandle.write(_:)` traps on a broken pipe; this
/// uses POSIX `write` and throws `OutputError` (ENOSPC, EIO, EPIPE …) so a full disk or a
/// closed pipe never passes for success. SIGPIPE must be ignored by the program for EPIPE to
/// arrive as an error.
public final class OutputStream {
    public let fd: Int32
    public let name: String
    private var buffer: [UInt8] = []
    private let limit: Int

    public init(fd: Int32, name: String, bufferSize: Int = 256 * 1024) {
        self.fd = fd
        self.name = name
        self.limit = bufferSize
        buffer.reserveCapacity(bufferSize + 4096)
    }

    public func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= limit { try flush() }
    }

    public func write(_ s: String) throws {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= limit { try flush() }
    }

    public func flush() throws {
        let err = WriteAll.write(fd, buffer)
        buffer.removeAll(keepingCapacity: true)
        if let err { throw OutputError(target: name, errno: err) }
    }
}
