import JourneysCore

/// What makes a touchpoint a repeat of one seen before in the same run (the same file given
/// twice, overlapping rotated files). `TouchpointStore` keeps the first: inputs are read in path
/// order and lines in file order, so the one kept is the one with the smallest (input name,
/// line); a repeat has the same identity keys, so it is looked for among the same person's.
///
/// A repeat is the same event of the same person in the same conversation. A touchpoint's
/// fingerprint is its source event id (SendGrid's `sg_event_id`, SES message and event ids, a
/// chat export's message id …) with its channel, identity keys and conversation when the format
/// has an event id, otherwise a fixed FNV-1a 64 hash of every field but the origin (time,
/// channel, action, keys, path, query, campaign, click id, referrer, status, response time,
/// device, value, currency, score, text, conversation). Two touchpoints whose fingerprints match
/// are compared field by field before one is dropped, so a hash collision never loses data.
/// Event ids alone are not enough: chat exports number messages per conversation, and two
/// persons can share a provider's event id. Requiring the same identity keys also keeps the
/// answer independent of partitioning: touchpoints with the same keys belong to the same person,
/// so to the same partition. A consequence worth knowing: two identical records in one log
/// (the same person loading the same URL twice within the log's time resolution, with the same
/// status and response time) also count as one.
public enum Duplicates {
    /// The fingerprint of row `i` of a chunk's touchpoints (strings by their bytes, so the
    /// same in every chunk).
    public static func fingerprint(_ b: TouchpointBuffer, _ i: Int) -> UInt64 {
        var h = FNV1a64()
        func bytes(_ v: UnsafeBufferPointer<UInt8>) { h.combine(byte: 1); h.combine(v); h.combine(byte: 0xFF) }
        func s(_ table: StringTable, _ id: UInt32) {
            if id == 0 { h.combine(byte: 0); h.combine(byte: 0xFF) } else { table.withBytes(id) { bytes($0) } }
        }
        func n(_ v: Int64) { var x = UInt64(bitPattern: v); for _ in 0..<8 { h.combine(byte: UInt8(x & 0xFF)); x >>= 8 } }
        let r = b.columns[i], values = b.strings.values, keys = b.keyStrings
        func keyIDs() {
            s(keys, b.visitor[i]); s(keys, b.customer[i]); s(keys, b.email[i]); s(keys, b.chatVisitor[i])
        }
        if r.eventID != 0 {
            h.combine("event_id")
            n(Int64(r.channel))
            s(values, r.eventID)
            keyIDs()
            s(values, r.conversation)
            return h.value
        }
        n(r.time)
        n(Int64(r.channel))
        n(Int64(r.action)); s(values, r.actionName)
        keyIDs()
        s(b.strings.paths, r.path)
        b.forEachExtra(i, query: { name, value in bytes(name); bytes(value) }, text: { h.combine(byte: 2); bytes($0) })
        s(values, r.source); s(values, r.medium); s(values, r.campaign); s(values, r.term); s(values, r.content)
        s(values, r.clickKind); s(values, r.clickValue)
        s(values, r.referrer)
        n(Int64(r.status))
        n(Int64(r.responseTime ?? -1))
        n(Int64(r.device))
        n(Int64(bitPattern: r.orderValue?.bitPattern ?? 0)); s(values, r.currency)
        n(Int64(bitPattern: r.chatScore?.bitPattern ?? 0))
        s(values, r.conversation)
        return h.value
    }
}
