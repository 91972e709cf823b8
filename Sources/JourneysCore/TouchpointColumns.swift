/// Touchpoints as a struct of arrays: one array per field, one element per touchpoint, strings as
/// ids into a `StringTable` (URL paths in a table of their own, `Strings.paths`, so rules can be
/// matched once per distinct path). No heap object per touchpoint.
///
/// This is what `journeys run` keeps of a touchpoint between reading and building journeys, and
/// what journeys are built from: every field a journey or the repeat check reads, nothing
/// else. The identity keys travel beside the columns (as ids of the run's identity graph), and
/// the query parameters and free text, which no journey reads, only as a hash.
public struct TouchpointColumns: Sendable {
    /// The tables the ids point into.
    public struct Strings: Sendable {
        /// URL paths.
        public var paths = StringTable()
        /// Every other string: referrer hosts, campaign fields, click ids, currencies,
        /// conversation and event ids, custom action names.
        public var values = StringTable()
        public init() {}

        public var byteCount: Int { paths.byteCount + values.byteCount }
        /// Bytes the tables hold in memory (`StringTable.heldBytes`).
        public var heldBytes: Int { paths.heldBytes + values.heldBytes }
    }

    // Bits of `flags`.
    public static let hasValue: UInt8 = 1 << 0
    public static let hasScore: UInt8 = 1 << 1
    public static let visitorIsFallback: UInt8 = 1 << 2
    public static let hasResponseTime: UInt8 = 1 << 3

    /// UTC milliseconds.
    public var time: [Int64] = []
    /// `Channel.allCases` index.
    public var channel: [UInt8] = []
    /// `Action.named` index, or `customAction` for a custom action (its name in `actionName`).
    public var action: [UInt8] = []
    public var actionName: [UInt32] = []
    public var path: [UInt32] = []
    public var referrer: [UInt32] = []
    public var source: [UInt32] = []
    public var medium: [UInt32] = []
    public var campaign: [UInt32] = []
    public var term: [UInt32] = []
    public var content: [UInt32] = []
    public var clickKind: [UInt32] = []
    public var clickValue: [UInt32] = []
    public var currency: [UInt32] = []
    public var conversation: [UInt32] = []
    public var eventID: [UInt32] = []
    /// HTTP status, 0 when none.
    public var status: [Int16] = []
    /// Milliseconds (when `hasResponseTime`).
    public var responseMs: [Int32] = []
    /// `DeviceClass` index (`devices`).
    public var device: [UInt8] = []
    /// Order value (when `hasValue`), chat score (when `hasScore`).
    public var value: [Double] = []
    public var score: [Double] = []
    public var flags: [UInt8] = []
    public var input: [Int32] = []
    public var line: [Int64] = []
    public var offset: [Int64] = []

    public init() {}

    public var count: Int { time.count }

    public static let customAction: UInt8 = 255
    public static let channels = Channel.allCases
    public static let devices: [DeviceClass] = [.desktop, .mobile, .tablet, .unknown]
    static let actionIndex: [Action: UInt8] =
        Dictionary(uniqueKeysWithValues: Action.named.enumerated().map { ($1.1, UInt8($0)) })

    /// A channel's, device class's and named action's code in the columns (nil: a custom action).
    public static func code(_ c: Channel) -> UInt8 { UInt8(channels.firstIndex(of: c)!) }
    public static func code(_ d: DeviceClass) -> UInt8 { UInt8(devices.firstIndex(of: d)!) }
    public static func code(_ a: Action) -> UInt8? { actionIndex[a] }

    public mutating func reserveCapacity(_ n: Int) {
        time.reserveCapacity(n); channel.reserveCapacity(n); action.reserveCapacity(n); actionName.reserveCapacity(n)
        path.reserveCapacity(n); referrer.reserveCapacity(n); source.reserveCapacity(n); medium.reserveCapacity(n)
        campaign.reserveCapacity(n); term.reserveCapacity(n); content.reserveCapacity(n); clickKind.reserveCapacity(n)
        clickValue.reserveCapacity(n); currency.reserveCapacity(n); conversation.reserveCapacity(n); eventID.reserveCapacity(n)
        status.reserveCapacity(n); responseMs.reserveCapacity(n); device.reserveCapacity(n); value.reserveCapacity(n)
        score.reserveCapacity(n); flags.reserveCapacity(n); input.reserveCapacity(n); line.reserveCapacity(n)
        offset.reserveCapacity(n)
    }

    /// One touchpoint's fields, as a value (the ids are those of the columns' tables).
    public struct Row: Sendable, Equatable {
        public var time: Int64 = 0
        public var channel: UInt8 = 0
        public var action: UInt8 = 0
        public var actionName: UInt32 = 0
        public var path: UInt32 = 0
        public var referrer: UInt32 = 0
        public var source: UInt32 = 0
        public var medium: UInt32 = 0
        public var campaign: UInt32 = 0
        public var term: UInt32 = 0
        public var content: UInt32 = 0
        public var clickKind: UInt32 = 0
        public var clickValue: UInt32 = 0
        public var currency: UInt32 = 0
        public var conversation: UInt32 = 0
        public var eventID: UInt32 = 0
        public var status: Int16 = 0
        public var responseMs: Int32 = 0
        public var device: UInt8 = 0
        public var value: Double = 0
        public var score: Double = 0
        public var flags: UInt8 = 0
        public var input: Int32 = 0
        public var line: Int64 = 0
        public var offset: Int64 = 0

        public init() {}

        /// The row of a touchpoint, its strings interned into `strings`.
        public init(_ t: Touchpoint, strings: inout Strings) {
            time = t.time
            channel = TouchpointColumns.code(t.channel)
            if let a = TouchpointColumns.code(t.action) {
                action = a
            } else {
                action = TouchpointColumns.customAction
                actionName = strings.values.intern(t.action.name)
            }
            path = strings.paths.intern(t.path)
            referrer = strings.values.intern(t.referrerHost)
            source = strings.values.intern(t.campaign.source)
            medium = strings.values.intern(t.campaign.medium)
            campaign = strings.values.intern(t.campaign.name)
            term = strings.values.intern(t.campaign.term)
            content = strings.values.intern(t.campaign.content)
            clickKind = strings.values.intern(t.clickID?.kind)
            clickValue = strings.values.intern(t.clickID?.value)
            currency = strings.values.intern(t.currency)
            conversation = strings.values.intern(t.conversation)
            eventID = strings.values.intern(t.eventID)
            status = t.status
            if let r = t.responseTimeMs { responseMs = r; flags |= TouchpointColumns.hasResponseTime }
            device = TouchpointColumns.code(t.device)
            if let v = t.value { value = v; flags |= TouchpointColumns.hasValue }
            if let s = t.score { score = s; flags |= TouchpointColumns.hasScore }
            if t.keys.visitorIsFallback { flags |= TouchpointColumns.visitorIsFallback }
            input = t.origin.input
            line = t.origin.line
            offset = t.origin.offset
        }

        /// Maps every string id through `map` (a chunk's ids to the run's: `StringTable.merge`).
        public mutating func remap(paths: [UInt32], values v: [UInt32]) {
            path = paths[Int(path)]
            actionName = v[Int(actionName)]
            referrer = v[Int(referrer)]; source = v[Int(source)]; medium = v[Int(medium)]; campaign = v[Int(campaign)]
            term = v[Int(term)]; content = v[Int(content)]; clickKind = v[Int(clickKind)]; clickValue = v[Int(clickValue)]
            currency = v[Int(currency)]; conversation = v[Int(conversation)]; eventID = v[Int(eventID)]
        }

        public var touchpointChannel: Channel { TouchpointColumns.channels[Int(channel)] }
        public var responseTime: Int32? { flags & TouchpointColumns.hasResponseTime != 0 ? responseMs : nil }
        public var orderValue: Double? { flags & TouchpointColumns.hasValue != 0 ? value : nil }
        public var chatScore: Double? { flags & TouchpointColumns.hasScore != 0 ? score : nil }
        public var origin: Origin { Origin(input: input, line: line, offset: offset) }

        /// The action (a custom action's name from `strings`).
        public func touchpointAction(_ strings: Strings) -> Action {
            action == TouchpointColumns.customAction ? Action(name: strings.values.string(actionName) ?? "") : Action.named[Int(action)].1
        }

        /// The touchpoint these fields describe: without identity keys, query parameters and
        /// text, which the columns do not keep.
        public func touchpoint(_ strings: Strings) -> Touchpoint {
            let v = strings.values
            var t = Touchpoint(time: time, channel: touchpointChannel, action: touchpointAction(strings), origin: origin)
            t.path = strings.paths.string(path)
            t.referrerHost = v.string(referrer)
            t.campaign = Campaign(source: v.string(source), medium: v.string(medium), name: v.string(campaign),
                                  term: v.string(term), content: v.string(content))
            if clickKind != 0 || clickValue != 0 {
                t.clickID = ClickID(kind: v.string(clickKind) ?? "", value: v.string(clickValue) ?? "")
            }
            t.currency = v.string(currency)
            t.conversation = v.string(conversation)
            t.eventID = v.string(eventID)
            t.status = status
            t.responseTimeMs = responseTime
            t.device = TouchpointColumns.devices[Int(device)]
            t.value = orderValue
            t.score = chatScore
            t.keys.visitorIsFallback = flags & TouchpointColumns.visitorIsFallback != 0
            return t
        }
    }

    /// Drops the rows from `n` on.
    public mutating func truncate(to n: Int) {
        time.removeSubrange(n...); channel.removeSubrange(n...); action.removeSubrange(n...); actionName.removeSubrange(n...)
        path.removeSubrange(n...); referrer.removeSubrange(n...); source.removeSubrange(n...); medium.removeSubrange(n...)
        campaign.removeSubrange(n...); term.removeSubrange(n...); content.removeSubrange(n...); clickKind.removeSubrange(n...)
        clickValue.removeSubrange(n...); currency.removeSubrange(n...); conversation.removeSubrange(n...)
        eventID.removeSubrange(n...); status.removeSubrange(n...); responseMs.removeSubrange(n...); device.removeSubrange(n...)
        value.removeSubrange(n...); score.removeSubrange(n...); flags.removeSubrange(n...); input.removeSubrange(n...)
        line.removeSubrange(n...); offset.removeSubrange(n...)
    }

    public mutating func append(_ r: Row) {
        time.append(r.time); channel.append(r.channel); action.append(r.action); actionName.append(r.actionName)
        path.append(r.path); referrer.append(r.referrer); source.append(r.source); medium.append(r.medium)
        campaign.append(r.campaign); term.append(r.term); content.append(r.content); clickKind.append(r.clickKind)
        clickValue.append(r.clickValue); currency.append(r.currency); conversation.append(r.conversation)
        eventID.append(r.eventID); status.append(r.status); responseMs.append(r.responseMs); device.append(r.device)
        value.append(r.value); score.append(r.score); flags.append(r.flags); input.append(r.input); line.append(r.line)
        offset.append(r.offset)
    }

    /// Row `i`.
    public subscript(i: Int) -> Row {
        var r = Row()
        r.time = time[i]; r.channel = channel[i]; r.action = action[i]; r.actionName = actionName[i]
        r.path = path[i]; r.referrer = referrer[i]; r.source = source[i]; r.medium = medium[i]
        r.campaign = campaign[i]; r.term = term[i]; r.content = content[i]; r.clickKind = clickKind[i]
        r.clickValue = clickValue[i]; r.currency = currency[i]; r.conversation = conversation[i]
        r.eventID = eventID[i]; r.status = status[i]; r.responseMs = responseMs[i]; r.device = device[i]
        r.value = value[i]; r.score = score[i]; r.flags = flags[i]; r.input = input[i]; r.line = line[i]
        r.offset = offset[i]
        return r
    }
}
