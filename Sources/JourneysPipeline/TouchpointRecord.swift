import JourneysCore
import JourneysStages

/// The compact binary form in which `journeys run` holds (and spills) touchpoints between
/// reading and building journeys.
///
/// A record is `varint length` then:
/// - header: input, line, byte offset, gzip member, how many touchpoints the line produced
///   (varints), the duplicate fingerprint (8 bytes), and the four identity-key slots (customer,
///   email, visitor, chat visitor) as varint `key id + 1` (0 = absent);
/// - body: time (8 bytes), action (1 byte; 255 = custom, then its name), channel, device,
///   status, a presence bit set, then each present field (strings as varint length + UTF-8).
///
/// The identity keys are interned once, by the run's `IdentityGraph`; a record carries their
/// ids. The query parameters and free text, which no journey or report reads once a reader has
/// taken campaign, click id and value from them, travel only as a 64-bit hash (`restHash`), so
/// that telling repeats apart still compares every field. A web page view takes some 40–80
/// bytes instead of a `Touchpoint`'s several hundred.
/// Workers encode the body (`encodeBody`); the consumer, which interns keys, writes the header.
enum TouchpointRecord {
    /// What the consumer needs of a touchpoint besides its body.
    struct Header {
        var origin: Origin
        var member: Int
        var lineTouchpoints: Int
        var fingerprint: UInt64
        /// Key ids (customer, email, visitor, chat visitor), -1 when absent.
        var slots: KeySlots
    }

    // Presence bits of the body.
    private static let hasPath: UInt32 = 1 << 0
    private static let hasSource: UInt32 = 1 << 1
    private static let hasMedium: UInt32 = 1 << 2
    private static let hasName: UInt32 = 1 << 3
    private static let hasTerm: UInt32 = 1 << 4
    private static let hasContent: UInt32 = 1 << 5
    private static let hasClick: UInt32 = 1 << 6
    private static let hasReferrer: UInt32 = 1 << 7
    private static let hasResponseTime: UInt32 = 1 << 8
    private static let hasValue: UInt32 = 1 << 9
    private static let hasCurrency: UInt32 = 1 << 10
    private static let hasScore: UInt32 = 1 << 11
    // 1 << 12: free
    private static let hasConversation: UInt32 = 1 << 13
    private static let hasEventID: UInt32 = 1 << 14
    private static let visitorIsFallback: UInt32 = 1 << 15
    private static let hasRest: UInt32 = 1 << 16

    /// The hash standing for a touchpoint's query parameters and text (0 when it has neither).
    static func restHash(_ t: Touchpoint) -> UInt64 {
        guard !t.query.isEmpty || t.text != nil else { return 0 }
        var h = FNV1a64()
        h.combine("rest")
        for q in t.query { h.combine(byte: 1); h.combine(q.name); h.combine(byte: 0); h.combine(q.value) }
        if let text = t.text { h.combine(byte: 2); h.combine(text) }
        return h.value
    }

    private static let actionIndex: [Action: UInt8] = Dictionary(uniqueKeysWithValues: Action.named.enumerated().map { ($1.1, UInt8($0)) })
    private static let channels = Channel.allCases
    private static let devices: [DeviceClass] = [.desktop, .mobile, .tablet, .unknown]

    // MARK: writing

    private static func appendFixed(_ v: UInt64, to o: inout [UInt8]) {
        var v = v
        for _ in 0..<8 { o.append(UInt8(truncatingIfNeeded: v)); v >>= 8 }
    }

    private static func appendString(_ s: String, to o: inout [UInt8]) {
        var s = s
        s.withUTF8 { b in
            Varint.append(UInt64(b.count), to: &o)
            o.append(contentsOf: b)
        }
    }

    /// Appends the body of `t` (everything but its identity keys and origin).
    static func encodeBody(_ t: Touchpoint, to o: inout [UInt8]) {
        appendFixed(UInt64(bitPattern: t.time), to: &o)
        if let a = actionIndex[t.action] { o.append(a) } else { o.append(255); appendString(t.action.name, to: &o) }
        o.append(UInt8(channels.firstIndex(of: t.channel)!))
        o.append(UInt8(devices.firstIndex(of: t.device)!))
        Varint.append(UInt64(UInt16(bitPattern: t.status)), to: &o)
        var bits: UInt32 = 0
        if t.path != nil { bits |= hasPath }
        if t.campaign.source != nil { bits |= hasSource }
        if t.campaign.medium != nil { bits |= hasMedium }
        if t.campaign.name != nil { bits |= hasName }
        if t.campaign.term != nil { bits |= hasTerm }
        if t.campaign.content != nil { bits |= hasContent }
        if t.clickID != nil { bits |= hasClick }
        if t.referrerHost != nil { bits |= hasReferrer }
        if t.responseTimeMs != nil { bits |= hasResponseTime }
        if t.value != nil { bits |= hasValue }
        if t.currency != nil { bits |= hasCurrency }
        if t.score != nil { bits |= hasScore }
        if t.conversation != nil { bits |= hasConversation }
        if t.eventID != nil { bits |= hasEventID }
        if t.keys.visitorIsFallback { bits |= visitorIsFallback }
        let rest = restHash(t)
        if rest != 0 { bits |= hasRest }
        Varint.append(UInt64(bits), to: &o)
        if let v = t.path { appendString(v, to: &o) }
        if let v = t.campaign.source { appendString(v, to: &o) }
        if let v = t.campaign.medium { appendString(v, to: &o) }
        if let v = t.campaign.name { appendString(v, to: &o) }
        if let v = t.campaign.term { appendString(v, to: &o) }
        if let v = t.campaign.content { appendString(v, to: &o) }
        if let v = t.clickID { appendString(v.kind, to: &o); appendString(v.value, to: &o) }
        if let v = t.referrerHost { appendString(v, to: &o) }
        if let v = t.responseTimeMs { Varint.append(UInt64(UInt32(bitPattern: v)), to: &o) }
        if let v = t.value { appendFixed(v.bitPattern, to: &o) }
        if let v = t.currency { appendString(v, to: &o) }
        if let v = t.score { appendFixed(v.bitPattern, to: &o) }
        if let v = t.conversation { appendString(v, to: &o) }
        if let v = t.eventID { appendString(v, to: &o) }
        if rest != 0 { appendFixed(rest, to: &o) }
    }

    /// Appends a whole record: length, header, then `body` (from `encodeBody`).
    static func append(header h: Header, body: UnsafeBufferPointer<UInt8>, to o: inout [UInt8]) {
        var head: [UInt8] = []
        head.reserveCapacity(48)
        Varint.append(UInt64(h.origin.input), to: &head)
        Varint.append(UInt64(h.origin.line), to: &head)
        Varint.append(UInt64(h.origin.offset), to: &head)
        Varint.append(UInt64(h.member), to: &head)
        Varint.append(UInt64(h.lineTouchpoints), to: &head)
        appendFixed(h.fingerprint, to: &head)
        Varint.append(UInt64(h.slots.customer + 1), to: &head)
        Varint.append(UInt64(h.slots.email + 1), to: &head)
        Varint.append(UInt64(h.slots.visitor + 1), to: &head)
        Varint.append(UInt64(h.slots.chatVisitor + 1), to: &head)
        Varint.append(UInt64(head.count + body.count), to: &o)
        o.append(contentsOf: head)
        o.append(contentsOf: body)
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
            let fp = fixed()
            let a = Int32(varint()) - 1, b = Int32(varint()) - 1, c = Int32(varint()) - 1, d = Int32(varint()) - 1
            return Header(origin: Origin(input: input, line: line, offset: offset), member: member,
                          lineTouchpoints: lineTouchpoints, fingerprint: fp, slots: KeySlots(a, b, c, d))
        }

        /// The body after `header()`, and its `restHash`; identity keys (the caller has their
        /// ids), query parameters and text are left empty.
        mutating func body(origin: Origin) -> (Touchpoint, rest: UInt64) {
            let time = Int64(bitPattern: fixed())
            let a = byte()
            let action = a == 255 ? Action(name: string()) : Action.named[Int(a)].1
            let channel = TouchpointRecord.channels[Int(byte())]
            var t = Touchpoint(time: time, channel: channel, action: action, origin: origin)
            t.device = TouchpointRecord.devices[Int(byte())]
            t.status = Int16(bitPattern: UInt16(truncatingIfNeeded: varint()))
            let bits = UInt32(truncatingIfNeeded: varint())
            func has(_ bit: UInt32) -> Bool { bits & bit != 0 }
            if has(TouchpointRecord.hasPath) { t.path = string() }
            if has(TouchpointRecord.hasSource) { t.campaign.source = string() }
            if has(TouchpointRecord.hasMedium) { t.campaign.medium = string() }
            if has(TouchpointRecord.hasName) { t.campaign.name = string() }
            if has(TouchpointRecord.hasTerm) { t.campaign.term = string() }
            if has(TouchpointRecord.hasContent) { t.campaign.content = string() }
            if has(TouchpointRecord.hasClick) { let k = string(); t.clickID = ClickID(kind: k, value: string()) }
            if has(TouchpointRecord.hasReferrer) { t.referrerHost = string() }
            if has(TouchpointRecord.hasResponseTime) { t.responseTimeMs = Int32(bitPattern: UInt32(truncatingIfNeeded: varint())) }
            if has(TouchpointRecord.hasValue) { t.value = Double(bitPattern: fixed()) }
            if has(TouchpointRecord.hasCurrency) { t.currency = string() }
            if has(TouchpointRecord.hasScore) { t.score = Double(bitPattern: fixed()) }
            if has(TouchpointRecord.hasConversation) { t.conversation = string() }
            if has(TouchpointRecord.hasEventID) { t.eventID = string() }
            t.keys.visitorIsFallback = has(TouchpointRecord.visitorIsFallback)
            return (t, has(TouchpointRecord.hasRest) ? fixed() : 0)
        }
    }
}
