import JourneysCore

/// What a user agent says about the client.
public struct AgentVerdict: Sendable, Equatable {
    public var isBot: Bool
    public var device: DeviceClass
}

/// Classifies user agents: bot or person, and device class.
///
/// Bots are recognised by the lower-cased literals of `BotPatterns` (several hundred, the
/// maintained list) and `BotHeuristics` (families it misses: health checks, metrics agents, feed
/// readers, HTTP libraries, self-declared robots). They are
/// indexed once per process by their first two bytes, so one classification is a single pass
/// over the user agent with a table lookup per byte pair, not one scan per pattern.
public enum UserAgentClassifier {
    /// The bot literals, indexed.
    static let index = BotIndex(substrings: BotPatterns.substrings + BotHeuristics.substrings,
                                prefixes: BotPatterns.prefixes + BotHeuristics.prefixes)

    public static func classify(_ ua: String) -> AgentVerdict {
        var ua = ua
        return ua.withUTF8 { classify(bytes: $0) }
    }

    /// `classify` over raw bytes.
    public static func classify(bytes ua: UnsafeBufferPointer<UInt8>) -> AgentVerdict {
        if ua.isEmpty || (ua.count == 1 && ua[0] == 45) { return AgentVerdict(isBot: false, device: .unknown) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: ua.count) { lower in
            for i in 0..<ua.count {
                let c = ua[i]
                lower[i] = c &- 65 < 26 ? c | 0x20 : c
            }
            let l = UnsafeBufferPointer(lower)
            return AgentVerdict(isBot: index.matches(l), device: device(l))
        }
    }

    /// True when the lower-cased user agent `ua` contains a bot literal.
    static func isBot(lowercased ua: UnsafeBufferPointer<UInt8>) -> Bool { index.matches(ua) }

    static func device(_ u: UnsafeBufferPointer<UInt8>) -> DeviceClass {
        func has(_ s: StaticString) -> Bool {
            contains(u, UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
        }
        if has("ipad") || has("tablet") || has("kindle") || has("silk/") || has("playbook") { return .tablet }
        let android = has("android")
        if android && !has("mobile") { return .tablet }
        if has("mobi") || has("iphone") || has("ipod") || android || has("windows phone") || has("blackberry") || has("opera mini") {
            return .mobile
        }
        // Feature phones: Java ME (MIDP / CLDC profiles), Symbian and Nokia Series 40 / 60, KaiOS,
        // Openwave's UP.Browser.
        if has("midp") || has("cldc") || has("j2me") || has("symbian") || has("series40") || has("series60")
            || has("kaios") || has("up.browser") || has("nokia") {
            return .mobile
        }
        return .desktop
    }

    static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        needle.withUnsafeBufferPointer { contains(hay, $0) }
    }

    static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
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

/// Lower-case literals indexed by their first two bytes (4,096 buckets), plus prefixes.
///
/// `matches` looks at each byte pair of the input once and compares only the literals that start
/// with that pair: cost grows with the input length, hardly with the number of literals.
struct BotIndex: Sendable {
    /// All literals back to back; literal `i` is `bytes[starts[i]..<starts[i + 1]]`.
    let bytes: [UInt8]
    let starts: [Int32]
    /// Literal numbers grouped by bucket: bucket `b` holds `order[bucketStart[b]..<bucketStart[b + 1]]`.
    let bucketStart: [Int32]
    let order: [Int32]
    /// Literals of one byte (none today), checked by a plain scan.
    let single: [UInt8]
    let prefixes: [[UInt8]]

    @inline(__always)
    static func bucket(_ a: UInt8, _ b: UInt8) -> Int { Int(a & 63) << 6 | Int(b & 63) }

    init(substrings: [String], prefixes: [String]) {
        var bytes: [UInt8] = []
        var starts: [Int32] = [0]
        var single: [UInt8] = []
        var byBucket = [[Int32]](repeating: [], count: 4096)
        for s in substrings {
            let lit = Array(s.lowercased().utf8)
            if lit.isEmpty { continue }
            if lit.count == 1 { single.append(lit[0]); continue }
            byBucket[BotIndex.bucket(lit[0], lit[1])].append(Int32(starts.count - 1))
            bytes += lit
            starts.append(Int32(bytes.count))
        }
        var bucketStart: [Int32] = [0]
        var order: [Int32] = []
        for list in byBucket {
            order += list
            bucketStart.append(Int32(order.count))
        }
        self.bytes = bytes
        self.starts = starts
        self.bucketStart = bucketStart
        self.order = order
        self.single = single
        self.prefixes = prefixes.map { Array($0.lowercased().utf8) }.filter { !$0.isEmpty }
    }

    /// True when the (already lower-cased) input contains a literal or starts with a prefix.
    func matches(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        for p in prefixes where p.count <= u.count {
            var k = 0
            while k < p.count, u[k] == p[k] { k += 1 }
            if k == p.count { return true }
        }
        if !single.isEmpty, u.contains(where: { single.contains($0) }) { return true }
        guard u.count >= 2 else { return false }
        return bytes.withUnsafeBufferPointer { lit in
            starts.withUnsafeBufferPointer { st in
                bucketStart.withUnsafeBufferPointer { bs in
                    order.withUnsafeBufferPointer { ord in
                        let n = u.count
                        for i in 0..<(n - 1) {
                            let b = BotIndex.bucket(u[i], u[i + 1])
                            var j = Int(bs[b])
                            let end = Int(bs[b + 1])
                            while j < end {
                                let id = Int(ord[j])
                                let s = Int(st[id]), len = Int(st[id + 1]) - s
                                if len <= n - i, lit[s] == u[i], lit[s + 1] == u[i + 1] {
                                    var k = 2
                                    while k < len, lit[s + k] == u[i + k] { k += 1 }
                                    if k == len { return true }
                                }
                                j += 1
                            }
                        }
                        return false
                    }
                }
            }
        }
    }
}

/// A bounded per-reader cache of user-agent verdicts: logs repeat a few thousand agents millions of times.
struct UserAgentCache: Sendable {
    /// Keyed by the FNV-1a 64 hash of the user agent's bytes, so a hit builds no `String`.
    /// (A 64-bit collision among the few thousand agents of a log is vanishingly unlikely, and
    /// would only swap a device class or bot verdict between two agents.)
    var entries: [UInt64: AgentVerdict] = [:]
    static let limit = 20_000

    mutating func classify(_ ua: String) -> AgentVerdict {
        var ua = ua
        return ua.withUTF8 { b in
            var h = FNV1a64()
            h.combine(b)
            return classify(bytes: b, hash: h.value)
        }
    }

    mutating func classify(bytes ua: UnsafeBufferPointer<UInt8>, hash: UInt64) -> AgentVerdict {
        if let v = entries[hash] { return v }
        let v = UserAgentClassifier.classify(bytes: ua)
        if entries.count >= UserAgentCache.limit { entries.removeAll(keepingCapacity: true) }
        entries[hash] = v
        return v
    }
}
