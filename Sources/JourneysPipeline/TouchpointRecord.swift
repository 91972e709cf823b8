import JourneysCore
import JourneysStages

/// The compact binary form in which `journeys run` holds (and spills) touchpoints between
/// reading and building journeys.
///
/// A record is `varint length` then:
/// - header: input, line, byte offset, gzip member, how many touchpoints the line produced, and
///   the four identity-key slots (customer, email, visitor, chat visitor) as `key id + 1` (0 =
///   absent), all varints;
/// - body: the touchpoint's `TouchpointColumns.Row` without its origin: time (zigzag varint),
///   action (1 byte; 255 = custom, then its name's id), channel, device, flags (1 byte), status,
///   a bit mask of the string ids present (path, referrer, utm source, medium, campaign, term,
///   content, click-id kind and value, currency, conversation, event id) and those ids (varints),
///   then the response time, value and score when present, and the 64-bit hash of the query and
///   text when not 0.
///
/// No string is in a record: the strings are interned once, into the run's tables (a chunk's
/// ids are mapped to the run's by the consumer before the record is written), and the identity
/// keys by the run's `IdentityGraph`. The query parameters and free text, which no journey or
/// report reads once a reader has taken campaign, click id and value from them, travel only as
/// a 64-bit hash (`restHash`), so that telling repeats apart still compares every field. A web
/// page view takes some 30–45 bytes.
enum TouchpointRecord {
    /// What the consumer needs of a touchpoint besides its body.
    struct Header {
        var origin: Origin
        var member: Int
        var lineTouchpoints: Int
        /// Key ids (customer, email, visitor, chat visitor), -1 when absent.
        var slots: KeySlots
    }

    /// Bit of the encoded flags byte: a rest hash follows.
    private static let hasRest: UInt8 = 1 << 7

    /// The hash standing for a touchpoint's query parameters and text (0 when it has neither):
    /// of their bytes in the buffer (`TouchpointBuffer.extra`), which spell each one's kind and length.
    static func restHash(_ b: TouchpointBuffer, _ i: Int) -> UInt64 {
        let start = i == 0 ? 0 : b.extraEnd[i - 1], end = b.extraEnd[i]
        guard end > start else { return 0 }
        var h = FNV1a64()
        h.combine("rest")
        b.extra.withUnsafeBufferPointer { h.combine(UnsafeBufferPointer(rebasing: $0[start..<end])) }
        return h.value == 0 ? 1 : h.value
    }

    // MARK: writing

    /// Writes a record's bytes into a buffer on the stack, for one append to the store's array
    /// (appending byte by byte checked the array's capacity and uniqueness for each).
    private struct Writer {
        let base: UnsafeMutablePointer<UInt8>
        var at: Int

        @inline(__always) mutating func byte(_ b: UInt8) { base[at] = b; at += 1 }

        @inline(__always) mutating func varint(_ v: UInt64) {
            var v = v
            while v >= 0x80 { base[at] = UInt8(truncatingIfNeeded: v) | 0x80; v >>= 7; at += 1 }
            base[at] = UInt8(v)
            at += 1
        }

        @inline(__always) mutating func fixed(_ v: UInt64) {
            for i in 0..<8 { base[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
            at += 8
        }
    }

    /// The most bytes a record can take: 9 header varints and the time (10 bytes each), the action
    /// and its name (6), 3 bytes, the status (3), the mask (2), 12 ids (5 each), the response time
    /// (5), value, score and rest hash (8 each), and a 2-byte length.
    private static let maxRecord = 10 * 10 + 6 + 3 + 3 + 2 + 12 * 5 + 5 + 3 * 8 + 2

    /// Appends a whole record: length, header, then the body of `row` (its origin is the header's).
    static func append(header h: Header, row r: TouchpointColumns.Row, rest: UInt64, to o: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxRecord) { buffer in
            // The body from byte 2; its length (under 2^14, two varint bytes at most) just before it.
            var w = Writer(base: buffer.baseAddress!, at: 2)
            w.varint(UInt64(h.origin.input))
            w.varint(UInt64(h.origin.line))
            w.varint(UInt64(h.origin.offset))
            w.varint(UInt64(h.member))
            w.varint(UInt64(h.lineTouchpoints))
            w.varint(UInt64(h.slots.customer + 1))
            w.varint(UInt64(h.slots.email + 1))
            w.varint(UInt64(h.slots.visitor + 1))
            w.varint(UInt64(h.slots.chatVisitor + 1))
            w.varint(UInt64(bitPattern: r.time << 1 ^ r.time >> 63)) // zigzag: times before 1970 too
            w.byte(r.action)
            if r.action == TouchpointColumns.customAction { w.varint(UInt64(r.actionName)) }
            w.byte(r.channel)
            w.byte(r.device)
            w.byte(r.flags | (rest != 0 ? hasRest : 0))
            w.varint(UInt64(UInt16(bitPattern: r.status)))
            // Which string ids are present (one bit each, in this order), then those ids.
            let ids = (r.path, r.referrer, r.source, r.medium, r.campaign, r.term, r.content, r.clickKind, r.clickValue,
                       r.currency, r.conversation, r.eventID)
            var mask: UInt64 = 0
            withUnsafeBytes(of: ids) { raw in
                for (k, v) in raw.bindMemory(to: UInt32.self).enumerated() where v != 0 { mask |= 1 << UInt64(k) }
            }
            w.varint(mask)
            withUnsafeBytes(of: ids) { raw in
                for v in raw.bindMemory(to: UInt32.self) where v != 0 { w.varint(UInt64(v)) }
            }
            if r.flags & TouchpointColumns.hasResponseTime != 0 { w.varint(UInt64(UInt32(bitPattern: r.responseMs))) }
            if r.flags & TouchpointColumns.hasValue != 0 { w.fixed(r.value.bitPattern) }
            if r.flags & TouchpointColumns.hasScore != 0 { w.fixed(r.score.bitPattern) }
            if rest != 0 { w.fixed(rest) }
            let length = w.at - 2
            let start: Int
            if length < 0x80 {
                start = 1
                buffer[1] = UInt8(length)
            } else {
                start = 0
                buffer[0] = UInt8(truncatingIfNeeded: length) | 0x80
                buffer[1] = UInt8(length >> 7)
            }
            o.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<w.at]))
        }
    }

    // MARK: reading

    /// A cursor over one record's bytes (without its length prefix).
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var at = 0

        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func varint() -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = bytes[at]
                at += 1
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
            }
        }

        mutating func fixed() -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            at += 8
            return v
        }

        mutating func byte() -> UInt8 {
            defer { at += 1 }
            return bytes[at]
        }

        mutating func string() -> String {
            let n = Int(varint())
            defer { at += n }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)]), as: UTF8.self)
        }

        mutating func header() -> Header {
            let input = Int32(varint()), line = Int64(varint()), offset = Int64(varint())
            let member = Int(varint()), lineTouchpoints = Int(varint())
            let a = Int32(varint()) - 1, b = Int32(varint()) - 1, c = Int32(varint()) - 1, d = Int32(varint()) - 1
            return Header(origin: Origin(input: input, line: line, offset: offset), member: member,
                          lineTouchpoints: lineTouchpoints, slots: KeySlots(a, b, c, d))
        }

        /// Just the time, the body's first field (after `header()`).
        mutating func time() -> Int64 {
            let zigzag = varint()
            return Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
        }

        /// The body after `header()` as a row (with the header's origin), and its `restHash`.
        mutating func body(origin: Origin) -> (TouchpointColumns.Row, rest: UInt64) {
            var r = TouchpointColumns.Row()
            r.input = origin.input
            r.line = origin.line
            r.offset = origin.offset
            let zigzag = varint()
            r.time = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
            r.action = byte()
            if r.action == TouchpointColumns.customAction { r.actionName = UInt32(varint()) }
            r.channel = byte()
            r.device = byte()
            let flags = byte()
            r.flags = flags & ~TouchpointRecord.hasRest
            r.status = Int16(bitPattern: UInt16(truncatingIfNeeded: varint()))
            let mask = varint()
            func id(_ k: UInt64) -> UInt32 { mask & 1 << k != 0 ? UInt32(truncatingIfNeeded: varint()) : 0 }
            r.path = id(0); r.referrer = id(1); r.source = id(2); r.medium = id(3); r.campaign = id(4); r.term = id(5)
            r.content = id(6); r.clickKind = id(7); r.clickValue = id(8); r.currency = id(9); r.conversation = id(10)
            r.eventID = id(11)
            if r.flags & TouchpointColumns.hasResponseTime != 0 { r.responseMs = Int32(bitPattern: UInt32(truncatingIfNeeded: varint())) }
            if r.flags & TouchpointColumns.hasValue != 0 { r.value = Double(bitPattern: fixed()) }
            if r.flags & TouchpointColumns.hasScore != 0 { r.score = Double(bitPattern: fixed()) }
            return (r, flags & TouchpointRecord.hasRest != 0 ? fixed() : 0)
        }
    }
}

extension TouchpointRecord {
    /// The key slots and time of `b` when it is one whole record (without its length) whose every
    /// field is in range — input below `inputs`, key ids below `keys`, string ids within the
    /// tables, action, channel and device codes known, nothing missing or left over —, else nil.
    /// `Reader` trusts what it reads (records the run itself wrote); a record from a state file is
    /// checked with this instead.
    static func checked(_ b: UnsafeRawBufferPointer, inputs: Int, keys: Int, paths: Int, values: Int) -> (slots: KeySlots, time: Int64)? {
        var at = 0
        func varint() -> UInt64? {
            var v: UInt64 = 0, shift: UInt64 = 0
            while at < b.count, shift < 64 {
                let x = b[at]
                at += 1
                v |= UInt64(x & 0x7F) << shift
                if x < 0x80 { return v }
                shift += 7
            }
            return nil
        }
        func byte() -> UInt8? { guard at < b.count else { return nil }; defer { at += 1 }; return b[at] }
        func skip(_ n: Int) -> Bool { guard at + n <= b.count else { return false }; at += n; return true }
        guard let input = varint(), input < UInt64(inputs), let line = varint(), line <= UInt64(Int64.max),
              let offset = varint(), offset <= UInt64(Int64.max), let member = varint(), member <= UInt64(Int32.max),
              let lineTouchpoints = varint(), lineTouchpoints <= UInt64(Int32.max) else { return nil }
        func key() -> Int32? { // a key slot: key id + 1, 0 for none
            guard let v = varint(), v <= UInt64(keys) else { return nil }
            return Int32(v) - 1
        }
        guard let customer = key(), let email = key(), let visitor = key(), let chatVisitor = key() else { return nil }
        guard let zigzag = varint(), let action = byte() else { return nil }
        let time = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
        if action == TouchpointColumns.customAction {
            guard let name = varint(), name <= UInt64(values) else { return nil }
        } else if Int(action) >= Action.named.count { return nil }
        guard let channel = byte(), Int(channel) < TouchpointColumns.channels.count,
              let device = byte(), Int(device) < TouchpointColumns.devices.count, let flags = byte(),
              let status = varint(), status <= UInt64(UInt16.max), let mask = varint(), mask < 1 << 12 else { return nil }
        for k in 0..<12 where mask & 1 << UInt64(k) != 0 {
            guard let id = varint(), id <= UInt64(k == 0 ? paths : values) else { return nil }
        }
        if flags & TouchpointColumns.hasResponseTime != 0 { guard let r = varint(), r <= UInt64(UInt32.max) else { return nil } }
        if flags & TouchpointColumns.hasValue != 0 { guard skip(8) else { return nil } }
        if flags & TouchpointColumns.hasScore != 0 { guard skip(8) else { return nil } }
        if flags & hasRest != 0 { guard skip(8) else { return nil } }
        return at == b.count ? (KeySlots(customer, email, visitor, chatVisitor), time) : nil
    }

}
