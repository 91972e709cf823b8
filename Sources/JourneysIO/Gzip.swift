import CZlib

/// Why an input's bytes could not be read to the end.
public struct InputDamage: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The input ended inside a gzip member (body or trailer).
        case truncated
        /// A member's CRC-32 or length trailer did not match its data.
        case checksum
        /// The deflate data is invalid.
        case corrupt
        /// Bytes after the last member that are not another member.
        case trailingGarbage = "trailing_garbage"
        /// Bytes between two members that are not a member, skipped up to the next member.
        case garbage
        /// A `.gz`-looking input of zero bytes.
        case empty
        /// A read error from the operating system.
        case readError = "read_error"
        /// Compressed with something other than gzip (bzip2, xz, zstd, lz4, zip, 7z): not read,
        /// rather than read as text.
        case unsupportedCompression = "unsupported_compression"
    }

    public var kind: Kind
    /// Offset in the input file (compressed bytes) where the damage was seen.
    public var byteOffset: Int64
    /// Offset in the decompressed stream where the damage was seen.
    public var decompressedOffset: Int64
    /// 1-based gzip member number (0 for plain text).
    public var member: Int
    public var message: String

    public init(kind: Kind, byteOffset: Int64, decompressedOffset: Int64, member: Int, message: String) {
        self.kind = kind
        self.byteOffset = byteOffset
        self.decompressedOffset = decompressedOffset
        self.member = member
        self.message = message
    }

    public var description: String {
        member > 0 ? "byte \(byteOffset), gzip member \(member): \(kind.rawValue): \(message)"
            : "byte \(byteOffset): \(kind.rawValue): \(message)"
    }
}

/// Receives what a `ByteStreamDecoder` decodes.
public protocol DecodedBytesConsumer {
    /// Decoded bytes, in order. The buffer is only valid during the call.
    mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, member: Int)
    /// A gzip member's trailer verified (CRC-32 and length match).
    mutating func memberVerified(_ member: Int)
    /// Bytes that were not gzip were skipped between members (`damage.kind == .garbage`);
    /// what comes next is the next member.
    mutating func skipped(_ damage: InputDamage)
    /// The first byte to come is at this decoded offset and starts this line (a prefix read on
    /// an earlier night is left out: `ContentGate`).
    mutating func startAt(offset: Int64, line: Int64)
}

extension DecodedBytesConsumer {
    public mutating func skipped(_ damage: InputDamage) {}
    public mutating func startAt(offset: Int64, line: Int64) {}
}

/// Reads a file descriptor to its end, inflating gzip (every member) or passing plain text through.
///
/// gzip is recognised by its magic bytes `1f 8b`, never by a file name. One `z_stream` and
/// two buffers are allocated per input and reused, so memory stays flat whatever the size.
/// zlib's `inflate` does not report truncation itself: reaching end of input before
/// `Z_STREAM_END` is the signal, reported as `.truncated`. Bytes between members that are not
/// a member are skipped up to the next member header (`1f 8b 08`) and reported to the consumer
/// (`skipped`); without a member after them they end the input as `.trailingGarbage`, unless
/// they are all zeros (padding, accepted).
public struct ByteStreamDecoder {
    public static let defaultBufferSize = 256 * 1024

    public let bufferSize: Int
    public init(bufferSize: Int = ByteStreamDecoder.defaultBufferSize) {
        self.bufferSize = max(16, bufferSize)
    }

    /// What decoding saw.
    public struct Report: Sendable {
        public var isGzip = false
        public var compressedBytes: Int64 = 0
        public var decompressedBytes: Int64 = 0
        public var members = 0
        public var damage: InputDamage?
        /// Trailing zero bytes after the last member, accepted (some shippers pad files).
        public var trailingZeros: Int64 = 0

        /// Whether a last line without a newline is whole: one cut by damage is not, but one that
        /// its member ended before trailing garbage is.
        public var lastLineIsWhole: Bool { damage == nil || damage?.kind == .trailingGarbage }
    }

    /// Decodes everything `read` returns until it returns 0 (end) or a negative errno.
    ///
    /// - Parameter read: fills the buffer, returns the byte count, 0 at end, or `-errno`.
    public func decode<C: DecodedBytesConsumer>(read: (UnsafeMutableRawBufferPointer) -> Int, into consumer: inout C) -> Report {
        var report = Report()
        let inBuf = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { inBuf.deallocate() }
        var have = 0
        // Fill at least 6 bytes (or to the end) to look at the magic number.
        while have < 6 {
            let n = read(UnsafeMutableRawBufferPointer(rebasing: inBuf[have...]))
            if n < 0 {
                report.damage = InputDamage(kind: .readError, byteOffset: Int64(have), decompressedOffset: 0, member: 0, message: errnoText(-n))
                return report
            }
            if n == 0 { break }
            have += n
        }
        report.compressedBytes = Int64(have)
        if let other = Self.otherCompression(UnsafeRawBufferPointer(rebasing: inBuf[..<have])) {
            report.damage = InputDamage(kind: .unsupportedCompression, byteOffset: 0, decompressedOffset: 0, member: 0,
                                        message: "\(other.name)-compressed; journeys reads gzip and plain text: decompress it first (\(other.tool) FILE | journeys …)")
            return report
        }
        if have >= 2, inBuf[0] == 0x1f, inBuf[1] == 0x8b {
            report.isGzip = true
            inflateAll(inBuf: inBuf, have: have, read: read, report: &report, consumer: &consumer)
        } else {
            var pending = have
            while true {
                if pending > 0 {
                    consumer.consume(UnsafeBufferPointer(start: inBuf.baseAddress!.assumingMemoryBound(to: UInt8.self), count: pending), member: 0)
                    report.decompressedBytes += Int64(pending)
                }
                let n = read(inBuf)
                if n < 0 {
                    report.damage = InputDamage(kind: .readError, byteOffset: report.compressedBytes, decompressedOffset: report.decompressedBytes, member: 0, message: errnoText(-n))
                    break
                }
                if n == 0 { break }
                report.compressedBytes += Int64(n)
                pending = n
            }
        }
        return report
    }

    /// The compression other than gzip whose magic bytes `b` starts with, and the tool that
    /// decompresses it to standard output.
    static func otherCompression(_ b: UnsafeRawBufferPointer) -> (name: String, tool: String)? {
        func starts(_ magic: [UInt8]) -> Bool { b.count >= magic.count && zip(b, magic).allSatisfy { $0 == $1 } }
        if starts([0x42, 0x5A, 0x68]), b.count >= 4, (0x31...0x39).contains(b[3]) { return ("bzip2", "bzcat") } // BZh1-9
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return ("xz", "xzcat") }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return ("zstd", "zstdcat") }
        if starts([0x04, 0x22, 0x4D, 0x18]) { return ("lz4", "lz4cat") }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return ("zip", "unzip -p") }
        if starts([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) { return ("7z", "7z e -so") }
        return nil
    }

    private func inflateAll<C: DecodedBytesConsumer>(inBuf: UnsafeMutableRawBufferPointer, have: Int,
                                                      read: (UnsafeMutableRawBufferPointer) -> Int,
                                                      report: inout Report, consumer: inout C) {
        let outBuf = UnsafeMutablePointer<UInt8>.allocate(capacity: bufferSize)
        defer { outBuf.deallocate() }
        var zs = z_stream()
        guard journeys_inflateInit2(&zs, 15 + 16) == Z_OK else {
            report.damage = InputDamage(kind: .corrupt, byteOffset: 0, decompressedOffset: 0, member: 1, message: "zlib could not start")
            return
        }
        defer { inflateEnd(&zs) }
        let inBase = inBuf.baseAddress!.assumingMemoryBound(to: UInt8.self)
        zs.next_in = inBase
        zs.avail_in = UInt32(have)
        var consumedBefore: Int64 = 0 // compressed bytes consumed before the current buffer
        var member = 1
        var inMember = true
        var eof = false
        report.members = 1

        func offsetNow() -> Int64 { consumedBefore + Int64(Int(bitPattern: zs.next_in) - Int(bitPattern: inBase)) }
        /// Keeps the unconsumed input bytes at the front of the buffer and reads more after them.
        func refill() -> Bool {
            let consumed = Int(bitPattern: zs.next_in) - Int(bitPattern: inBase)
            let keep = Int(zs.avail_in)
            consumedBefore += Int64(consumed)
            if keep > 0, consumed > 0 {
                UnsafeMutableRawPointer(inBase).copyMemory(from: zs.next_in, byteCount: keep)
            }
            let n = read(UnsafeMutableRawBufferPointer(rebasing: inBuf[keep...]))
            zs.next_in = inBase
            zs.avail_in = UInt32(keep)
            if n < 0 {
                report.damage = InputDamage(kind: .readError, byteOffset: consumedBefore + Int64(keep), decompressedOffset: report.decompressedBytes, member: member, message: errnoText(-n))
                return false
            }
            if n == 0 { eof = true; return false }
            report.compressedBytes += Int64(n)
            zs.avail_in = UInt32(keep + n)
            return true
        }
        /// Decoding stops at a member whose check or data failed: reads the rest of the input only
        /// to count it, and says how much after the member (`memberLeft` more bytes of it: the
        /// length field after a failed CRC) was left unread.
        func unread(memberLeft: Int64) -> String {
            let stop = offsetNow() + memberLeft
            while case let n = read(inBuf), n > 0 { report.compressedBytes += Int64(n) }
            let rest = report.compressedBytes - stop
            return rest > 0 ? "; reading stopped there, the \(rest) bytes after it were not read" : ""
        }

        /// Skips input up to the next member header (`1f 8b 08`, left unread) or to the end.
        func skipToMember() -> (found: Bool, bytes: Int64, nonZero: Bool) {
            var bytes: Int64 = 0, nonZero = false
            while true {
                let n = Int(zs.avail_in)
                var k = 0
                while k + 2 < n, !(zs.next_in[k] == 0x1f && zs.next_in[k + 1] == 0x8b && zs.next_in[k + 2] == 8) {
                    if zs.next_in[k] != 0 { nonZero = true }
                    k += 1
                }
                // Fewer than three bytes left could be the start of a header cut by the read.
                let found = k + 2 < n
                if !found, eof {
                    k = n
                    for x in 0..<n where zs.next_in[x] != 0 { nonZero = true }
                }
                zs.next_in += k
                zs.avail_in -= UInt32(k)
                bytes += Int64(k)
                if found || eof { return (found, bytes, nonZero) }
                // At the end, the next round takes the last bytes; a read error ends here.
                if !refill(), !eof { return (false, bytes, nonZero) }
            }
        }

        while true {
            if inMember {
                if zs.avail_in == 0, !refill() {
                    if eof {
                        report.damage = InputDamage(kind: .truncated, byteOffset: offsetNow(), decompressedOffset: report.decompressedBytes,
                                                    member: member, message: "input ends inside gzip member \(member)")
                    }
                    return
                }
                zs.next_out = outBuf
                zs.avail_out = UInt32(bufferSize)
                let rc = inflate(&zs, Z_NO_FLUSH)
                let produced = bufferSize - Int(zs.avail_out)
                if produced > 0 {
                    consumer.consume(UnsafeBufferPointer(start: outBuf, count: produced), member: member)
                    report.decompressedBytes += Int64(produced)
                }
                switch rc {
                case Z_OK:
                    continue
                case Z_BUF_ERROR where zs.avail_in == 0:
                    continue
                case Z_STREAM_END:
                    consumer.memberVerified(member)
                    inMember = false
                case Z_DATA_ERROR:
                    let msg = zs.msg.map { String(cString: $0) } ?? "invalid data"
                    let kind: InputDamage.Kind = msg.contains("check") ? .checksum : .corrupt
                    report.damage = InputDamage(kind: kind, byteOffset: offsetNow(), decompressedOffset: report.decompressedBytes, member: member,
                                                message: msg + unread(memberLeft: msg == "incorrect data check" ? 4 : 0))
                    return
                default:
                    report.damage = InputDamage(kind: .corrupt, byteOffset: offsetNow(), decompressedOffset: report.decompressedBytes, member: member,
                                                message: "zlib error \(rc)" + unread(memberLeft: 0))
                    return
                }
            } else {
                // Between members: the next member, zero padding at the end, or bytes that are
                // not gzip, skipped up to the next member header.
                if zs.avail_in == 0, !refill() { return }
                let start = offsetNow()
                let first = zs.next_in[0]
                let skip = skipToMember()
                if report.damage != nil { return } // a read error
                guard skip.found else {
                    if !skip.nonZero { report.trailingZeros += skip.bytes; return }
                    let cut = skip.bytes <= 2 && first == 0x1f // the start of a header, then the end
                    report.damage = InputDamage(kind: cut ? .truncated : .trailingGarbage, byteOffset: start,
                                                decompressedOffset: report.decompressedBytes, member: member,
                                                message: cut ? "input ends inside the header of gzip member \(member + 1)"
                                                    : "\(skip.bytes) bytes after gzip member \(member) are not gzip, to the end of the input")
                    return
                }
                if skip.bytes > 0 {
                    consumer.skipped(InputDamage(kind: .garbage, byteOffset: start, decompressedOffset: report.decompressedBytes, member: member,
                                                 message: "skipped \(skip.bytes) bytes that are not gzip; read on from gzip member \(member + 1) at byte \(offsetNow())"))
                }
                inflateReset(&zs)
                member += 1
                report.members = member
                inMember = true
            }
        }
    }
}

func errnoText(_ e: Int) -> String {
    String(cString: strerror(Int32(e)))
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
