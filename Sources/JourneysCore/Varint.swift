/// LEB128 varints: the numbers and length prefixes of the records `journeys run` keeps
/// (touchpoint records, the identity keys' text).
public enum Varint {
    /// Appends `v`, 7 bits a byte, lowest first, the high bit set on every byte but the last.
    @inlinable public static func append(_ v: UInt64, to o: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            o.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        o.append(UInt8(v))
    }

    /// The bounds of the length-prefixed record whose varint prefix starts at `at`; nil when `b`
    /// ends inside it.
    @inlinable public static func record(in b: UnsafeRawBufferPointer, at: Int) -> (start: Int, end: Int)? {
        var len = 0, shift = 0, p = at
        while p < b.count, shift < 63 {
            let x = b[p]
            p += 1
            len |= Int(x & 0x7F) << shift
            if x < 0x80 { return len <= b.count - p ? (p, p + len) : nil }
            shift += 7
        }
        return nil
    }
}
