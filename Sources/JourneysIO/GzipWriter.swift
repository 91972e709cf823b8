import CZlib

/// Compresses bytes into one gzip member (used by `journeys generate`, benchmarks and tests).
public struct GzipCompressor {
    /// gzip-compresses `bytes` as one complete member.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var zs = z_stream()
        precondition(journeys_deflateInit2(&zs, level, 15 + 16) == Z_OK, "zlib deflateInit2 failed")
        defer { deflateEnd(&zs) }
        var out = [UInt8]()
        let bound = Int(deflateBound(&zs, uLong(bytes.count))) + 32
        out.reserveCapacity(bound)
        var input = bytes
        let chunk = 64 * 1024
        var buf = [UInt8](repeating: 0, count: chunk)
        input.withUnsafeMutableBufferPointer { inp in
            zs.next_in = inp.baseAddress
            zs.avail_in = UInt32(inp.count)
            var rc: Int32 = Z_OK
            repeat {
                buf.withUnsafeMutableBufferPointer { o in
                    zs.next_out = o.baseAddress
                    zs.avail_out = UInt32(chunk)
                    rc = deflate(&zs, Z_FINISH)
                    out.append(contentsOf: o[0..<(chunk - Int(zs.avail_out))])
                }
            } while rc == Z_OK || rc == Z_BUF_ERROR && zs.avail_out == 0
            precondition(rc == Z_STREAM_END, "zlib deflate failed: \(rc)")
        }
        return out
    }
}
