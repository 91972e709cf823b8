import JourneysCore

/// What a user agent says about the client.
public struct AgentVerdict: Sendable, Equatable {
    public var isBot: Bool
    public var device: DeviceClass
}

/// Classifies user agents: bot or person, and device class.
public enum UserAgentClassifier {
    /// Lower-cased substrings that mark a crawler, monitor or HTTP library (see `BotPatterns`).
    static let patterns: [[UInt8]] = BotPatterns.substrings.map { Array($0.lowercased().utf8) }

    public static func classify(_ ua: String) -> AgentVerdict {
        var lower = Array(ua.utf8)
        for i in lower.indices where (65...90).contains(lower[i]) { lower[i] |= 0x20 }
        if lower.isEmpty || lower == [45] { return AgentVerdict(isBot: false, device: .unknown) }
        let isBot = lower.withUnsafeBufferPointer { hay in patterns.contains { contains(hay, $0) } }
        return AgentVerdict(isBot: isBot, device: device(lower))
    }

    static func device(_ ua: [UInt8]) -> DeviceClass {
        ua.withUnsafeBufferPointer { u in
            func has(_ s: StaticString) -> Bool {
                contains(u, Array(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)))
            }
            if has("ipad") || has("tablet") || has("kindle") || has("silk/") || has("playbook") { return .tablet }
            if has("android") && !has("mobile") { return .tablet }
            if has("mobi") || has("iphone") || has("ipod") || has("android") || has("windows phone") || has("blackberry") || has("opera mini") {
                return .mobile
            }
            return .desktop
        }
    }

    static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, needle.count <= hay.count else { return false }
        let last = hay.count - needle.count
        var i = 0
        while i <= last {
            if hay[i] == first {
                var k = 1
                while k < needle.count, hay[i + k] == needle[k] { k += 1 }
                if k == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}

/// A bounded per-reader cache of user-agent verdicts: logs repeat a few thousand agents millions of times.
struct UserAgentCache: Sendable {
    var entries: [String: AgentVerdict] = [:]
    static let limit = 20_000

    mutating func classify(_ ua: String) -> AgentVerdict {
        if let v = entries[ua] { return v }
        let v = UserAgentClassifier.classify(ua)
        if entries.count >= UserAgentCache.limit { entries.removeAll(keepingCapacity: true) }
        entries[ua] = v
        return v
    }
}
