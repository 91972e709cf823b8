import JourneysCore
import JourneysStages

/// What makes a touchpoint a repeat of one seen before in the same run (the same file given
/// twice, overlapping rotated files). `TouchpointStore` keeps the first: inputs are read in path
/// order and lines in file order, so the one kept is the one with the smallest (input name,
/// line); a repeat has the same identity keys, so it is looked for among the same person's.
///
/// A repeat is the same event of the same person in the same conversation. A touchpoint's
/// fingerprint is its source event id (SendGrid's `sg_event_id`, SES message and event ids, a
/// chat export's message id …) with its channel, identity keys and conversation when the format
/// has an event id, otherwise a hash of every field but the origin (time, channel, action, keys,
/// path, query, campaign, click id, referrer, status, response time, device, value, currency,
/// score, text, conversation), made when a partition is decoded, from the ids the run gave its
/// strings. Two touchpoints whose fingerprints match are compared field by field (ids, and the
/// query and text by a 64-bit hash) before one is dropped.
/// Event ids alone are not enough: chat exports number messages per conversation, and two
/// persons can share a provider's event id. Requiring the same identity keys also keeps the
/// answer independent of partitioning: touchpoints with the same keys belong to the same person,
/// so to the same partition. A consequence worth knowing: two identical records in one log
/// (the same person loading the same URL twice within the log's time resolution, with the same
/// status and response time) also count as one.
public enum Duplicates {
    /// The fingerprint of a stored touchpoint: a hash of its key ids and either its event id,
    /// channel and conversation, or every field but the origin (strings by their ids in the
    /// run's tables, so equal strings give equal ids; the query and text by their hash).
    static func fingerprint(_ r: TouchpointColumns.Row, _ k: KeySlots, rest: UInt64) -> UInt64 {
        // A word at a time: multiply and fold (any good mix will do; it only picks buckets).
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        func n(_ v: UInt64) {
            h = (h ^ v) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
        }
        n(UInt64(UInt32(bitPattern: k.customer)) << 32 | UInt64(UInt32(bitPattern: k.email)))
        n(UInt64(UInt32(bitPattern: k.visitor)) << 32 | UInt64(UInt32(bitPattern: k.chatVisitor)))
        n(UInt64(r.flags & TouchpointColumns.visitorIsFallback))
        if r.eventID != 0 {
            n(UInt64(r.eventID) << 32 | UInt64(r.conversation)); n(UInt64(r.channel))
            return h
        }
        n(UInt64(bitPattern: r.time)); n(UInt64(r.channel) << 48 | UInt64(r.action) << 40 | UInt64(r.flags) << 32 | UInt64(r.actionName))
        n(UInt64(r.path) << 32 | UInt64(r.referrer)); n(UInt64(r.source) << 32 | UInt64(r.medium))
        n(UInt64(r.campaign) << 32 | UInt64(r.term)); n(UInt64(r.content) << 32 | UInt64(r.clickKind))
        n(UInt64(r.clickValue) << 32 | UInt64(r.currency)); n(UInt64(r.conversation))
        n(UInt64(UInt16(bitPattern: r.status)) << 40 | UInt64(r.device) << 32 | UInt64(UInt32(bitPattern: r.responseMs)))
        n(r.value.bitPattern); n(r.score.bitPattern); n(rest)
        return h
    }

    /// Whether `b` repeats `a`: the same identity keys (by id) and either the same event id in
    /// the same conversation on the same channel, or every other field but the origin (strings
    /// by id, query and text by their hash).
    static func same(_ a: TouchpointColumns.Row, _ ak: KeySlots, _ ar: UInt64,
                     _ b: TouchpointColumns.Row, _ bk: KeySlots, _ br: UInt64) -> Bool {
        guard ak == bk else { return false }
        if a.eventID != 0, b.eventID != 0 {
            return a.eventID == b.eventID && a.channel == b.channel && a.conversation == b.conversation
                && a.flags & TouchpointColumns.visitorIsFallback == b.flags & TouchpointColumns.visitorIsFallback
        }
        var a = a
        a.input = b.input
        a.line = b.line
        a.offset = b.offset
        return ar == br && a == b
    }
}
