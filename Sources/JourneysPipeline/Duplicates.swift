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
    public static func fingerprint(_ t: Touchpoint) -> UInt64 {
        var h = FNV1a64()
        func s(_ v: String?) {
            if let v { h.combine(byte: 1); h.combine(v) } else { h.combine(byte: 0) }
            h.combine(byte: 0xFF)
        }
        func i(_ v: Int64) { var x = UInt64(bitPattern: v); for _ in 0..<8 { h.combine(byte: UInt8(x & 0xFF)); x >>= 8 } }
        if let id = t.eventID {
            s("event_id")
            s(t.channel.rawValue)
            s(id)
            s(t.keys.visitor); s(t.keys.customer); s(t.keys.email); s(t.keys.chatVisitor)
            s(t.conversation)
            return h.value
        }
        i(t.time)
        s(t.channel.rawValue)
        s(t.action.name)
        s(t.keys.visitor); s(t.keys.customer); s(t.keys.email); s(t.keys.chatVisitor)
        s(t.path)
        for q in t.query { s(q.name); s(q.value) }
        s(t.campaign.source); s(t.campaign.medium); s(t.campaign.name); s(t.campaign.term); s(t.campaign.content)
        s(t.clickID?.kind); s(t.clickID?.value)
        s(t.referrerHost)
        i(Int64(t.status))
        i(Int64(t.responseTimeMs ?? -1))
        s(t.device.rawValue)
        i(Int64(bitPattern: t.value?.bitPattern ?? 0)); s(t.currency)
        i(Int64(bitPattern: t.score?.bitPattern ?? 0))
        s(t.text); s(t.conversation)
        return h.value
    }
}
