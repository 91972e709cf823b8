import JourneysCore
import JourneysStages

/// `journeys.csv`: one row per person, sorted by `person_id`.
///
/// Columns: `person_id, customer_id` (identifiers); `first_seen, last_seen` (earliest and latest
/// touchpoint); `touchpoints, sessions` (counts); `channels` (distinct touchpoint channels,
/// sorted, joined with `|`); `first_touch_channel, first_touch_campaign` (the first session's
/// acquisition channel and campaign); `last_touch_channel` (the last session's channel, over
/// the whole journey, not only before a purchase); `furthest_stage`; `stages` (every stage
/// reached, in stage order, joined with `>`; skipped stages are left out); `converted` (has at
/// least one order); `first_purchase_at` (earliest order); `hours_to_first_purchase` (from
/// `first_seen`, 2 decimals); `orders, revenue` (2 decimals, the orders' cents summed over currencies as logged);
/// `pain_points` (count); `nps` (last survey score as logged); `csat` (share 0–1, 4 decimals).
///
/// Not an accumulator: `Reports.write` writes each journey's row as it comes, in person order.
public enum JourneysReport {
    public static let name = "journeys"
    public static let columns = ["person_id", "customer_id", "first_seen", "last_seen", "touchpoints", "sessions", "channels",
                                 "first_touch_channel", "first_touch_campaign", "last_touch_channel", "furthest_stage", "stages",
                                 "converted", "first_purchase_at", "hours_to_first_purchase", "orders", "revenue", "pain_points",
                                 "nps", "csat"]

    /// The row of one journey.
    public static func row(_ j: Journey, stages: [String]) -> [Cell] {
        let first = j.firstSeen
        let sessions = j.sessionsInOrder
        let channels = Set(j.activity.map(\.channel)).sorted().map(\.rawValue).joined(separator: "|")
        let reached = j.stageTimes.indices.filter { j.stageTimes[$0] != nil && $0 < stages.count }.map { stages[$0] }
        let purchase = j.firstPurchaseTime
        let hours: Double? = if let purchase, let first { Double(purchase - first) / millisPerHour } else { nil }
        return [
            .identifier(j.personID),
            .identifier(j.customerID),
            .timestamp(first),
            .timestamp(j.lastSeen),
            .integer(j.touchpointCount),
            .integer(j.sessions.count),
            .text(channels.isEmpty ? nil : channels),
            .text(sessions.first?.channel),
            .text(sessions.first?.campaign),
            .text(sessions.last?.channel),
            .text(j.furthestStage.flatMap { $0 < stages.count ? stages[$0] : nil }),
            .text(reached.isEmpty ? nil : reached.joined(separator: ">")),
            .bool(j.converted),
            .timestamp(purchase),
            .hours(hours),
            .integer(j.orders.count),
            .money(j.revenueCents),
            .integer(j.painPoints.count),
            .number(j.nps),
            .rate(j.csat),
        ]
    }
}
