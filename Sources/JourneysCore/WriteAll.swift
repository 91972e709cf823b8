#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Checked POSIX writes, shared by every output (standard output, report files).
///
/// Swift's `print` hides write errors and `FileHandle.write(_:)` traps on a broken pipe; this
/// loop retries `EINTR` and short writes and reports anything else.
public enum WriteAll {
    /// Writes all of `bytes` to `fd`; returns nil on success, else the `errno` that stopped it.
    public static func write(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { raw -> Int32? in
            var done = 0
            while done < raw.count {
                let n = posixWrite(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return nil
        }
    }
}

@inline(__always)
private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, p, n)
    #else
    write(fd, p, n)
    #endif
}
