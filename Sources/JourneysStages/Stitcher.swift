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
        var keys = KeyTable()
        // Up to four keys per touchpoint; -1 when absent.
        var tpKeys = [Int32](repeating: -1, count: touchpoints.count * 4)
        var links: [UInt64] = []
        for (i, t) in touchpoints.enumerated() {
            var n = 0
            func add(_ kind: KeyKind, _ value: String?) {
                guard let value, !value.isEmpty else { return }
                let id = keys.intern(kind, value)
                for j in 0..<n where tpKeys[i * 4 + j] == id { return }
                tpKeys[i * 4 + n] = id
                n += 1
            }
            add(.customer, t.keys.customer)
            add(.email, t.keys.email)
            add(.visitor, t.keys.visitor)
            add(config.chatVisitorIsWebVisitor ? .visitor : .chatVisitor, t.keys.chatVisitor)
            if n > 1 {
                for a in 0..<n {
                    for b in (a + 1)..<n {
                        let x = UInt32(tpKeys[i * 4 + a]), y = UInt32(tpKeys[i * 4 + b])
                        links.append(UInt64(min(x, y)) << 32 | UInt64(max(x, y)))
                    }
                }
            }
        }
        links.sort()
        links = dedupSorted(links)

        // Distinct neighbours per key and kind.
        let kindCount = KeyKind.allCases.count
        var degree = [Int32](repeating: 0, count: keys.count * kindCount)
        for l in links {
            let a = Int(l >> 32), b = Int(l & 0xFFFF_FFFF)
            degree[a * kindCount + keys.kindIndex[b]] += 1
            degree[b * kindCount + keys.kindIndex[a]] += 1
        }
        var blocked = [Bool](repeating: false, count: keys.count)
        for k in 0..<keys.count {
            for c in 0..<kindCount where Int(degree[k * kindCount + c]) > config.mergeLimit {
                blocked[k] = true
            }
        }

        var uf = UnionFind(count: keys.count)
        var mergesBlocked = 0
        for l in links {
            let a = Int32(l >> 32), b = Int32(truncatingIfNeeded: l & 0xFFFF_FFFF)
            if blocked[Int(a)] || blocked[Int(b)] { mergesBlocked += 1 } else { uf.union(a, b) }
        }

        // Each touchpoint's anchor: its first unblocked key; with none, its preferred blocked key.
        var members: [Int32: [Int]] = [:]
        var unkeyed = 0
        for i in touchpoints.indices {
            var anchor: Int32 = -1
            var fallback: Int32 = -1
            for j in 0..<4 {
                let k = tpKeys[i * 4 + j]
                if k < 0 { break }
                if !blocked[Int(k)] { anchor = k; break }
                if fallback < 0 || keys.precedesForID(k, fallback) { fallback = k }
            }
            if anchor < 0 { anchor = fallback }
            if anchor < 0 { unkeyed += 1; continue }
            members[uf.find(anchor), default: []].append(i)
        }

        // The best key of each component: a customer key first, then the smallest (kind, value).
        var best: [Int32: Int32] = [:]
        for k in 0..<Int32(keys.count) {
            let root: Int32
            if blocked[Int(k)] {
                guard members[k] != nil else { continue }
                root = k
            } else {
                root = uf.find(k)
            }
            if let b = best[root], !keys.precedesForID(k, b) { continue }
            best[root] = k
        }

        var persons: [StitchedPerson] = []
        persons.reserveCapacity(members.count)
        for (root, indices) in members {
            let k = best[root]!
            let (kind, value) = keys.key(k)
            var h = FNV1a64()
            h.combine(kind.rawValue)
            h.combine(byte: 0)
            h.combine(value)
            persons.append(StitchedPerson(personID: "p" + h.hex, customerID: kind == .customer ? value : nil,
                                          touchpointIndices: indices))
        }
        persons.sort { $0.personID.utf8.lexicographicallyPrecedes($1.personID.utf8) }

        var blockedKeys: [String] = []
        for k in 0..<keys.count where blocked[k] {
            let (kind, value) = keys.key(Int32(k))
            blockedKeys.append(kind.rawValue + ":" + value)
        }
        blockedKeys.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return StitchResult(persons: persons, mergesBlocked: mergesBlocked, blockedKeys: blockedKeys, unkeyed: unkeyed)
    }

    static func dedupSorted(_ a: [UInt64]) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(a.count)
        for x in a where out.last != x { out.append(x) }
        return out
    }
}

/// Identity keys interned to dense `Int32` ids (ids follow first appearance; nothing orders by them).
struct KeyTable {
    private var ids: [[String: Int32]] = Array(repeating: [:], count: KeyKind.allCases.count)
    private(set) var values: [String] = []
    private(set) var kindIndex: [Int] = []

    var count: Int { values.count }

    static func index(_ kind: KeyKind) -> Int { KeyKind.allCases.firstIndex(of: kind)! }

    mutating func intern(_ kind: KeyKind, _ value: String) -> Int32 {
        let ki = Self.index(kind)
        if let id = ids[ki][value] { return id }
        let id = Int32(values.count)
        ids[ki][value] = id
        values.append(value)
        kindIndex.append(ki)
        return id
    }

    func key(_ id: Int32) -> (KeyKind, String) { (KeyKind.allCases[kindIndex[Int(id)]], values[Int(id)]) }

    /// Order for choosing the key a person id comes from: customer keys first, then (kind, value) in byte order.
    func precedesForID(_ a: Int32, _ b: Int32) -> Bool {
        let ka = KeyKind.allCases[kindIndex[Int(a)]], kb = KeyKind.allCases[kindIndex[Int(b)]]
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
