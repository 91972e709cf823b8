import JourneysCore

/// The kind of an identity key. A key is a kind plus a value: the same string under two kinds
/// is two keys.
public enum KeyKind: String, Sendable, Hashable, CaseIterable, Comparable {
    // Declared in byte order of the raw values, which is the order `<` uses.
    case chatVisitor = "chat_visitor"
    case customer
    case email
    case visitor

    public static func < (a: KeyKind, b: KeyKind) -> Bool { a.rawValue.utf8.lexicographicallyPrecedes(b.rawValue.utf8) }
}

/// One person found by the `Stitcher`.
public struct StitchedPerson: Sendable, Equatable {
    /// `p` + 16 hex digits, stable across runs for the same keys (see `Stitcher`).
    public var personID: String
    /// The smallest customer id among the person's keys.
    public var customerID: String?
    /// Indices into the stitched touchpoint array, ascending.
    public var touchpointIndices: [Int]

    public init(personID: String, customerID: String?, touchpointIndices: [Int]) {
        self.personID = personID
        self.customerID = customerID
        self.touchpointIndices = touchpointIndices
    }
}

/// What `Stitcher.stitch` found.
public struct StitchResult: Sendable, Equatable {
    /// Sorted by `personID`.
    public var persons: [StitchedPerson]
    /// Distinct links (two keys seen on one touchpoint) not used to merge because one of their
    /// keys is blocked.
    public var mergesBlocked: Int
    /// The blocked keys as `kind:value`, sorted by byte order.
    public var blockedKeys: [String]
    /// Touchpoints with no identity key at all: they belong to no person.
    public var unkeyed: Int

    public init(persons: [StitchedPerson], mergesBlocked: Int, blockedKeys: [String], unkeyed: Int = 0) {
        self.persons = persons
        self.mergesBlocked = mergesBlocked
        self.blockedKeys = blockedKeys
        self.unkeyed = unkeyed
    }
}

/// Joins touchpoints into persons: the connected components of the graph whose nodes are
/// identity keys and whose edges link the keys seen together on one touchpoint.
///
/// - Keys: `visitor` (cookie, or the IP + user-agent fallback), `customer`, `email`,
///   `chat_visitor`. A chat tool's visitor id is its own kind even when its value equals a web
///   visitor cookie: the two tools draw ids from different spaces, and a coincidence (or two
///   tools both counting from 1) must not merge strangers. A chat joins a web journey through
///   an email or customer id it carries — unless `JourneyConfig.chatVisitorIsWebVisitor` says
///   the chat widget reuses the site's cookie, when chat visitor ids are `visitor` keys.
/// - Merge protection: a key linked to more than `JourneyConfig.mergeLimit` distinct keys of
///   one kind (a shared device, a placeholder id every guest gets) is *blocked*: it links
///   nothing. A touchpoint keeps its other keys; a touchpoint whose keys are all blocked forms,
///   with the other such touchpoints of the same key, a person of that key alone (its customer
///   key if it has one, else its smallest key).
/// - `person_id`: `p` + hex FNV-1a 64 of `customer\0<smallest customer id>` when the person has
///   a customer key, else of `<kind>\0<value>` of its smallest key by (kind, value) byte order.
///   It depends only on the person's keys, never on input order or Swift's seeded hashing.
///
/// The result is the same for any order of the touchpoints (only `touchpointIndices` follow
/// the positions). Complexity: O(n log n) in touchpoints (the link list is sorted once), memory
/// a few words per key and per link.
public enum Stitcher {
    public static func stitch(_ touchpoints: [Touchpoint], config: JourneyConfig) -> StitchResult {
        var graph = IdentityGraph(config: config)
        var slots: [KeySlots] = []
        slots.reserveCapacity(touchpoints.count)
        for t in touchpoints {
            let s = graph.slots(of: t.keys)
            graph.link(s)
            slots.append(s)
        }
        let resolved = graph.resolve()
        var members: [Int32: [Int]] = [:]
        var unkeyed = 0
        for (i, s) in slots.enumerated() {
            guard let k = resolved.personKey(s) else { unkeyed += 1; continue }
            members[k, default: []].append(i)
        }
        var persons: [StitchedPerson] = []
        persons.reserveCapacity(members.count)
        for (k, indices) in members {
            let p = resolved.person(k)
            persons.append(StitchedPerson(personID: p.id, customerID: p.customerID, touchpointIndices: indices))
        }
        persons.sort { $0.personID.utf8.lexicographicallyPrecedes($1.personID.utf8) }
        return StitchResult(persons: persons, mergesBlocked: resolved.mergesBlocked, blockedKeys: resolved.blockedKeys, unkeyed: unkeyed)
    }
}

/// A touchpoint's identity keys as ids of an `IdentityGraph`, in the order customer, email,
/// visitor, chat visitor; -1 where the touchpoint has no such key.
public struct KeySlots: Sendable, Equatable {
    public var customer: Int32 = -1
    public var email: Int32 = -1
    public var visitor: Int32 = -1
    public var chatVisitor: Int32 = -1

    public init() {}
    public init(_ customer: Int32, _ email: Int32, _ visitor: Int32, _ chatVisitor: Int32) {
        self.customer = customer
        self.email = email
        self.visitor = visitor
        self.chatVisitor = chatVisitor
    }

    /// Slot `i` (0 customer, 1 email, 2 visitor, 3 chat visitor).
    @inline(__always) subscript(i: Int) -> Int32 {
        switch i {
        case 0: customer
        case 1: email
        case 2: visitor
        default: chatVisitor
        }
    }
    public var isEmpty: Bool { customer < 0 && email < 0 && visitor < 0 && chatVisitor < 0 }
}

/// The graph `Stitcher` works on, built one touchpoint at a time: identity keys interned to
/// dense ids, and the distinct links between keys seen on one touchpoint. A run that does not
/// hold its touchpoints feeds it while reading, then asks `resolve()` which person each key
/// belongs to; memory is a few words per distinct key and link, whatever the touchpoint count.
public struct IdentityGraph: Sendable {
    var keys = KeyTable()
    private var links: [UInt64] = []
    private var distinctLinks = 0
    let chatVisitorIsWebVisitor: Bool
    let mergeLimit: Int

    public init(config: JourneyConfig) {
        chatVisitorIsWebVisitor = config.chatVisitorIsWebVisitor
        mergeLimit = config.mergeLimit
    }

    /// Distinct keys so far.
    public var keyCount: Int { keys.count }

    /// Interns the keys of one touchpoint (empty values are no keys). With
    /// `chatVisitorIsWebVisitor`, a chat visitor id is a `visitor` key.
    public mutating func slots(of k: IdentityKeys) -> KeySlots {
        func id(_ kind: KeyKind, _ v: String?) -> Int32 {
            guard let v, !v.isEmpty else { return -1 }
            return keys.intern(kind, v)
        }
        return KeySlots(id(.customer, k.customer), id(.email, k.email), id(.visitor, k.visitor),
                        id(chatVisitorIsWebVisitor ? .visitor : .chatVisitor, k.chatVisitor))
    }

    /// Records that the keys in `s` were seen together.
    public mutating func link(_ s: KeySlots) {
        for i in 0..<4 where s[i] >= 0 {
            for j in (i + 1)..<4 where s[j] >= 0 && s[j] != s[i] {
                let x = UInt32(s[i]), y = UInt32(s[j])
                links.append(UInt64(min(x, y)) << 32 | UInt64(max(x, y)))
            }
        }
        // Keep the list at most about twice its distinct size.
        if links.count >= max(1 << 16, 2 * distinctLinks) { compact() }
    }

    /// Forgets every link (keys stay), to link again from a subset of the touchpoints.
    public mutating func removeLinks() {
        links = []
        distinctLinks = 0
    }

    private mutating func compact() {
        links.sort()
        var out = 0
        for i in links.indices where out == 0 || links[out - 1] != links[i] {
            links[out] = links[i]
            out += 1
        }
        links.removeLast(links.count - out)
        distinctLinks = out
    }

    /// Connected components with merge protection (see `Stitcher`).
    public mutating func resolve() -> IdentityResolution {
        compact()
        let kindCount = KeyKind.allCases.count
        var degree = [Int32](repeating: 0, count: keys.count * kindCount)
        for l in links {
            let a = Int(l >> 32), b = Int(l & 0xFFFF_FFFF)
            degree[a * kindCount + keys.kindIndex[b]] += 1
            degree[b * kindCount + keys.kindIndex[a]] += 1
        }
        var blocked = [Bool](repeating: false, count: keys.count)
        for k in 0..<keys.count {
            for c in 0..<kindCount where Int(degree[k * kindCount + c]) > mergeLimit {
                blocked[k] = true
            }
        }
        degree = []
        var uf = UnionFind(count: keys.count)
        var mergesBlocked = 0
        for l in links {
            let a = Int32(l >> 32), b = Int32(truncatingIfNeeded: l & 0xFFFF_FFFF)
            if blocked[Int(a)] || blocked[Int(b)] { mergesBlocked += 1 } else { uf.union(a, b) }
        }
        // The best key of each component: a customer key first, then the smallest (kind, value).
        // A blocked key is a component of its own.
        var best = [Int32](repeating: -1, count: keys.count)
        for k in 0..<Int32(keys.count) {
            let root = blocked[Int(k)] ? k : uf.find(k)
            if best[Int(root)] >= 0, !keys.precedesForID(k, best[Int(root)]) { continue }
            best[Int(root)] = k
        }
        var personKey = [Int32](repeating: -1, count: keys.count)
        for k in 0..<Int32(keys.count) {
            personKey[Int(k)] = best[Int(blocked[Int(k)] ? k : uf.find(k))]
        }
        var blockedKeys: [String] = []
        for k in 0..<keys.count where blocked[k] {
            let (kind, value) = keys.key(Int32(k))
            blockedKeys.append(kind.rawValue + ":" + value)
        }
        blockedKeys.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return IdentityResolution(keys: keys, blocked: blocked, personKeyOf: personKey, mergesBlocked: mergesBlocked,
                                  blockedKeys: blockedKeys)
    }
}

/// Which person each key of an `IdentityGraph` belongs to.
public struct IdentityResolution: Sendable {
    let keys: KeyTable
    let blocked: [Bool]
    let personKeyOf: [Int32]
    /// See `StitchResult`.
    public let mergesBlocked: Int
    public let blockedKeys: [String]

    /// The key naming the person a touchpoint with keys `s` belongs to: that of its first
    /// unblocked key (customer, email, visitor, chat visitor); when all are blocked, the
    /// preferred one (see `Stitcher`) is a person of its own. Nil for a touchpoint without keys.
    public func personKey(_ s: KeySlots) -> Int32? {
        var fallback: Int32 = -1
        for i in 0..<4 where s[i] >= 0 {
            let k = s[i]
            if !blocked[Int(k)] { return personKeyOf[Int(k)] }
            if fallback < 0 || keys.precedesForID(k, fallback) { fallback = k }
        }
        return fallback < 0 ? nil : fallback
    }

    /// The person named by `key` (a `personKey` result): its id, the 64-bit hash the id spells
    /// in hex (ids sort as their hashes do), and its customer id.
    public func person(_ key: Int32) -> (id: String, hash: UInt64, customerID: String?) {
        let (kind, value) = keys.key(key)
        var h = FNV1a64()
        h.combine(kind.rawValue)
        h.combine(byte: 0)
        h.combine(value)
        return ("p" + h.hex, h.value, kind == .customer ? value : nil)
    }

    /// The person key of a key, or the key itself when it is blocked.
    public func personKey(ofKey k: Int32) -> Int32 { blocked[Int(k)] ? k : personKeyOf[Int(k)] }
}

/// Identity keys interned to dense `Int32` ids (ids follow first appearance; nothing orders by them).
struct KeyTable: Sendable {
    private var ids: [[String: Int32]] = Array(repeating: [:], count: KeyKind.allCases.count)
    private(set) var values: [String] = []
    private(set) var kindIndex: [Int] = []

    var count: Int { values.count }

    /// `KeyKind.allCases`, made once (`allCases` builds a new array at every use).
    static let kinds = KeyKind.allCases

    static func index(_ kind: KeyKind) -> Int { kinds.firstIndex(of: kind)! }

    mutating func intern(_ kind: KeyKind, _ value: String) -> Int32 {
        let ki = Self.index(kind)
        if let id = ids[ki][value] { return id }
        let id = Int32(values.count)
        ids[ki][value] = id
        values.append(value)
        kindIndex.append(ki)
        return id
    }

    func key(_ id: Int32) -> (KeyKind, String) { (Self.kinds[kindIndex[Int(id)]], values[Int(id)]) }

    /// Order for choosing the key a person id comes from: customer keys first, then (kind, value) in byte order.
    func precedesForID(_ a: Int32, _ b: Int32) -> Bool {
        let ka = Self.kinds[kindIndex[Int(a)]], kb = Self.kinds[kindIndex[Int(b)]]
        if (ka == .customer) != (kb == .customer) { return ka == .customer }
        if ka != kb { return ka < kb }
        return values[Int(a)].utf8.lexicographicallyPrecedes(values[Int(b)].utf8)
    }
}

/// Union-find over dense ids with path halving; the smaller id becomes the root (any choice
/// would do: roots are only used as component labels).
struct UnionFind {
    private var parent: [Int32]

    init(count: Int) { parent = (0..<Int32(count)).map { $0 } }

    mutating func find(_ x: Int32) -> Int32 {
        var x = x
        while parent[Int(x)] != x {
            let p = parent[Int(x)]
            parent[Int(x)] = parent[Int(p)]
            x = parent[Int(x)]
        }
        return x
    }

    mutating func union(_ a: Int32, _ b: Int32) {
        let ra = find(a), rb = find(b)
        if ra == rb { return }
        if ra < rb { parent[Int(rb)] = ra } else { parent[Int(ra)] = rb }
    }
}
