import JourneysCore
import JourneysStages

/// The label of "no session / no touch" in channel columns (`channels.csv`, `attribution.csv`,
/// `paths.csv`): it starts with `(` so it sorts before every channel group name.
public let noChannel = "(none)"

extension Journey {
    /// Time of the earliest order.
    public var firstPurchaseTime: Int64? { orders.lazy.map(\.time).min() }

    /// Sessions in start order (ties keep their index order). The model keeps them in order
    /// already; reports do not rely on it.
    public var sessionsInOrder: [Session] {
        var ordered = true
        for i in sessions.indices.dropFirst() where sessions[i].start < sessions[i - 1].start { ordered = false; break }
        if ordered { return sessions }
        return sessions.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element)
    }

    /// The acquisition channel of the first session, `(none)` without sessions.
    public var firstTouchChannel: String { sessionsInOrder.first?.channel ?? noChannel }

    /// The touchpoint channel of a session's first touchpoint, nil when the model does not know it.
    public func touchpointChannel(of session: Session) -> Channel? { session.firstChannel }
}

/// The median of `values` (mean of the two middle ones for an even count), nil when empty.
func median(_ values: [Int64]) -> Double? {
    guard !values.isEmpty else { return nil }
    let s = values.sorted()
    let m = s.count / 2
    return s.count % 2 == 1 ? Double(s[m]) : (Double(s[m - 1]) + Double(s[m])) / 2
}

/// `a / b`, nil when `b` is zero.
func ratio(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }

let millisPerHour = 3_600_000.0

/// `journeys` sorted by person id (returned as is when already sorted, which the check finds in
/// one pass). Every report reads journeys in this order, so sums of money come out the same
/// bit for bit whatever order the journeys were built in.
func inPersonOrder(_ journeys: [Journey]) -> [Journey] {
    var sorted = true
    for i in journeys.indices.dropFirst() where journeys[i].personID < journeys[i - 1].personID { sorted = false; break }
    if sorted { return journeys }
    return journeys.enumerated().sorted { ($0.element.personID, $0.offset) < ($1.element.personID, $1.offset) }.map(\.element)
}
