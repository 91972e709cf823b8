#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Repeated strings interned to 32-bit ids, straight from their bytes.
///
/// Id 0 stands for "no value"; the first string interned gets id 1, the next new one id 2, and
/// so on, so the ids depend only on the order in which strings are first seen. A chunk's
/// touchpoints are interned into a table of their own on a worker (`TouchpointBatch.strings`);
/// the run folds each chunk's table into its one table in input order (`merge`), so the run's
/// ids are the same whatever the thread count.
///
/// The bytes live in one arena and the index is an open-addressing hash of ids: interning a
/// string seen before allocates nothing.
public struct StringTable: Sendable {
    /// Every string's bytes, one after another.
    private var arena: [UInt8] = []
    /// `ends[id]`: where string `id` ends in `arena` (`ends[0] == 0`, the absent value).
    private var ends: [Int] = [0]
    /// Hash of each string (same indices as `ends`).
    private var hashes: [UInt64] = [0]
    /// Open-addressing slots holding ids (0 = empty); the count is a power of two.
    private var slots: [UInt32] = [UInt32](repeating: 0, count: 64)

    public init() {}

    /// How many strings are interned (ids run from 1 through `count`).
    public var count: Int { ends.count - 1 }
    /// Bytes the strings take.
    public var byteCount: Int { arena.count }
    /// Bytes the table holds in memory: the strings, their ends and hashes, and the index.
    public var heldBytes: Int { arena.capacity + ends.capacity * 8 + hashes.capacity * 8 + slots.capacity * 4 }

    /// A string's hash (FNV-1a 64 of its bytes).
    @inlinable
    public static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h = FNV1a64()
        h.combine(b)
        return h.value
    }

    /// The id of these bytes, interning them if they are new.
    public mutating func intern(_ b: UnsafeBufferPointer<UInt8>) -> UInt32 {
        intern(b, hash: Self.hash(b))
    }

    public mutating func intern(_ b: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> UInt32 {
        var mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = slots[i]
            if id == 0 { break }
            if hashes[Int(id)] == h, equals(Int(id), b) { return id }
            i = (i + 1) & mask
        }
        let id = UInt32(ends.count)
        arena.append(contentsOf: b)
        ends.append(arena.count)
        hashes.append(h)
        slots[i] = id
        if count * 2 > slots.count {
            grow()
            mask = slots.count - 1
        }
        return id
    }

    /// The id of a string, 0 for nil.
    public mutating func intern(_ s: String?) -> UInt32 {
        guard var s else { return 0 }
        return s.withUTF8 { intern($0) }
    }

    private func equals(_ id: Int, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = ends[id - 1], end = ends[id]
        guard end - start == b.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            b.isEmpty || memcmp(a.baseAddress! + start, b.baseAddress!, b.count) == 0
        }
    }

    private mutating func grow() {
        var bigger = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for id in 1..<ends.count {
            var i = Int(truncatingIfNeeded: hashes[id]) & mask
            while bigger[i] != 0 { i = (i + 1) & mask }
            bigger[i] = UInt32(id)
        }
        slots = bigger
    }

    /// Calls `body` with the bytes of string `id` (empty for 0).
    public func withBytes<R>(_ id: UInt32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let i = Int(id)
        let start = i == 0 ? 0 : ends[i - 1], end = ends[i]
        return try arena.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }

    /// String `id`, nil for 0.
    public func string(_ id: UInt32) -> String? {
        id == 0 ? nil : withBytes(id) { String(decoding: $0, as: UTF8.self) }
    }

    /// Interns every string of `other` into this table and returns, for each id of `other`, its
    /// id here (`map[0] == 0`).
    public mutating func merge(_ other: StringTable) -> [UInt32] {
        var map = [UInt32](repeating: 0, count: other.ends.count)
        other.arena.withUnsafeBufferPointer { a in
            for id in 1..<other.ends.count {
                map[id] = intern(UnsafeBufferPointer(rebasing: a[other.ends[id - 1]..<other.ends[id]]), hash: other.hashes[id])
            }
        }
        return map
    }

    /// Forgets every string, keeping the storage for reuse.
    public mutating func removeAll() {
        arena.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        ends.append(0)
        hashes.removeAll(keepingCapacity: true)
        hashes.append(0)
        for i in slots.indices { slots[i] = 0 }
    }
}
