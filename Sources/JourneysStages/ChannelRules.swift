import JourneysCore

/// STUB — being written: GA4-style default channel groups.
public struct ChannelRules: Sendable, Equatable {
    public static let `default` = ChannelRules()
    /// The acquisition channel group of a touchpoint that starts a session.
    public func classify(_ t: Touchpoint) -> String { "unassigned" }
}
