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
    @inline(__always) public subscript(i: Int) -> Int32 {
        switch i {
        case 0: customer
        case 1: email
        case 2: visitor
        default: chatVisitor
        }
    }
    public var isEmpty: Bool { customer < 0 && email < 0 && visitor < 0 && chatVisitor < 0 }
}

/// A 128-bit fingerprint of one identity key (kind and value), what an `IdentityGraph` interns
/// instead of the key's text. Two `Hasher` (SipHash-1-3) values under this process's random
/// seed with different prefixes: keys made to collide cannot be chosen from outside, and by
/// chance two of a billion keys collide with probability about 2⁻⁶⁸. Nothing is ordered or
/// written by it, so outputs do not depend on the seed.
public struct KeyFingerprint: Sendable, Equatable {
    var low: UInt64
    var high: UInt64

    init(_ kind: KeyKind, _ value: String) {
        var value = value
        self = value.withUTF8 { KeyFingerprint(kind, $0) }
    }

    /// The fingerprint of a key's UTF-8 bytes (keys are compared byte for byte).
    public init(_ kind: KeyKind, _ value: UnsafeBufferPointer<UInt8>) {
        var a = Hasher(), b = Hasher()
        a.combine(0 as UInt8)
        b.combine(1 as UInt8)
        a.combine(kind)
        b.combine(kind)
        a.combine(bytes: UnsafeRawBufferPointer(value))
        b.combine(bytes: UnsafeRawBufferPointer(value))
        a.combine(value.count)
        b.combine(value.count)
        low = UInt64(UInt(bitPattern: a.finalize()))
        high = UInt64(UInt(bitPattern: b.finalize()))
    }
}

/// The fingerprints of a touchpoint's keys, in `KeySlots` order (customer, email, visitor, chat
/// visitor); nil where it has no such key. Computed on the workers that read, so the one thread
/// that interns does not hash text.
public struct KeyFingerprints: Sendable {
    public internal(set) var slots: (KeyFingerprint?, KeyFingerprint?, KeyFingerprint?, KeyFingerprint?)

    /// With `chatVisitorIsWebVisitor`, a chat visitor id is a `visitor` key.
    public init(_ k: IdentityKeys, chatVisitorIsWebVisitor: Bool) {
        func f(_ kind: KeyKind, _ v: String?) -> KeyFingerprint? {
            guard let v, !v.isEmpty else { return nil }
            return KeyFingerprint(kind, v)
        }
        slots = (f(.customer, k.customer), f(.email, k.email), f(.visitor, k.visitor),
                 f(chatVisitorIsWebVisitor ? .visitor : .chatVisitor, k.chatVisitor))
    }

    /// From fingerprints already made (nil where the touchpoint has no such key).
    public init(customer: KeyFingerprint?, email: KeyFingerprint?, visitor: KeyFingerprint?, chatVisitor: KeyFingerprint?) {
        slots = (customer, email, visitor, chatVisitor)
    }

    /// The kind a chat visitor id is fingerprinted as.
    public static func chatVisitorKind(chatVisitorIsWebVisitor: Bool) -> KeyKind { chatVisitorIsWebVisitor ? .visitor : .chatVisitor }
}

/// The graph `Stitcher` works on, built one touchpoint at a time: identity keys interned to
/// dense ids, and the distinct links between keys seen on one touchpoint. A run that does not
/// hold its touchpoints feeds it while reading, then asks `resolve()` which person each key
/// belongs to.
///
/// Memory is about 24 bytes per distinct key while reading (`KeyTable`: a 128-bit fingerprint,
/// the kind and an index slot) plus 8 bytes per distinct link, whatever the touchpoint count;
/// resolving drops the fingerprints and keeps about 14 bytes per key (kind, person hash,
/// blocked, person key). The
/// keys' text is not kept: it is appended to `text` (length-prefixed, in id order), which the
/// owner may move elsewhere (`drainText`, e.g. to a temporary file) and hands back to `resolve`,
/// which keeps only the few values it needs (customer ids, blocked keys, keys that tie).
public struct IdentityGraph: Sendable {
    var keys = KeyTable()
    private var links: [UInt64] = []
    private var distinctLinks = 0
    /// Key text not drained yet: `varint length` + UTF-8, one per key, in id order.
    private var text: [UInt8] = []
    public let chatVisitorIsWebVisitor: Bool
    let mergeLimit: Int

    public init(config: JourneyConfig) {
        chatVisitorIsWebVisitor = config.chatVisitorIsWebVisitor
        mergeLimit = config.mergeLimit
    }

    /// Distinct keys so far.
    public var keyCount: Int { keys.count }

    /// The kind of key `id`.
    public func kind(_ id: Int32) -> KeyKind { KeyTable.kinds[Int(keys.kinds[Int(id)])] }

    /// Interns the keys of one touchpoint (empty values are no keys). With
    /// `chatVisitorIsWebVisitor`, a chat visitor id is a `visitor` key.
    public mutating func slots(of k: IdentityKeys) -> KeySlots {
        slots(of: k, KeyFingerprints(k, chatVisitorIsWebVisitor: chatVisitorIsWebVisitor))
    }

    /// `slots(of:)` with the fingerprints already computed (`KeyFingerprints(k, …)`).
    public mutating func slots(of k: IdentityKeys, _ f: KeyFingerprints) -> KeySlots {
        slots(f) { slot, body in
            var v = [k.customer, k.email, k.visitor, k.chatVisitor][slot]!
            v.withUTF8(body)
        }
    }

    /// Interns the keys whose fingerprints `f` holds; `text(slot, body)` calls `body` with the
    /// bytes of the key in slot 0 (customer), 1 (email), 2 (visitor) or 3 (chat visitor), and
    /// is asked only for keys seen for the first time.
    public mutating func slots(_ f: KeyFingerprints, text keyText: (Int, (UnsafeBufferPointer<UInt8>) -> Void) -> Void) -> KeySlots {
        withoutActuallyEscaping(keyText) { keyText in
            KeySlots(key(slot: 0, f.slots.0) { keyText(0, $0) }, key(slot: 1, f.slots.1) { keyText(1, $0) },
                     key(slot: 2, f.slots.2) { keyText(2, $0) }, key(slot: 3, f.slots.3) { keyText(3, $0) })
        }
    }

    /// Interns one key of slot 0 (customer), 1 (email), 2 (visitor) or 3 (chat visitor): its id,
    /// -1 for none. `keyText(body)` calls `body` with the key's bytes, and is asked only for a key
    /// seen for the first time. (`slots` for all four at once; a caller that meets the same key
    /// often can keep what this gives.)
    public mutating func key(slot: Int, _ f: KeyFingerprint?, text keyText: ((UnsafeBufferPointer<UInt8>) -> Void) -> Void) -> Int32 {
        guard let f else { return -1 }
        let kind: KeyKind = switch slot {
        case 0: .customer
        case 1: .email
        case 2: .visitor
        default: chatVisitorIsWebVisitor ? .visitor : .chatVisitor
        }
        let (id, new) = keys.intern(kind, f)
        if new {
            keyText { b in
                Varint.append(UInt64(b.count), to: &text)
                text.append(contentsOf: b)
            }
        }
        return id
    }

    /// Hands the key text gathered since the last call to `sink` and forgets it; `resolve` is
    /// then given it back.
    public mutating func drainText(_ sink: ([UInt8]) throws -> Void) rethrows {
        guard !text.isEmpty else { return }
        try sink(text)
        text.removeAll(keepingCapacity: true)
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

    /// `resolve(drainedText:)` for a graph whose text was never drained.
    public mutating func resolve() -> IdentityResolution { resolve { _ in } }

    /// Connected components with merge protection (see `Stitcher`). `drainedText` feeds its
    /// argument the text of each key given to `drainText`'s sink, in order (one call per key,
    /// without the length prefix); the text still held is read here. Interning stops: the
    /// fingerprints are freed.
    public mutating func resolve(drainedText: (_ each: (UnsafeRawBufferPointer) -> Void) throws -> Void) rethrows
        -> IdentityResolution {
        compact()
        let n = keys.count
        keys.stopInterning()
        let kinds = keys.kinds
        // Blocked: linked to more than `mergeLimit` keys of one kind. Each link gives both its
        // keys an end `key << 8 | kind of the other key`; sorted, a run of equal ends is one
        // key's degree in one kind (the links are distinct).
        var blocked = [Bool](repeating: false, count: n)
        var ends: [UInt64] = []
        ends.reserveCapacity(links.count * 2)
        for l in links {
            let a = l >> 32, b = l & 0xFFFF_FFFF
            ends.append(a << 8 | UInt64(kinds[Int(b)]))
            ends.append(b << 8 | UInt64(kinds[Int(a)]))
        }
        ends.sort()
        var i = 0
        while i < ends.count {
            var j = i + 1
            while j < ends.count, ends[j] == ends[i] { j += 1 }
            if j - i > mergeLimit { blocked[Int(ends[i] >> 8)] = true }
            i = j
        }
        ends = []
        var uf = UnionFind(count: n)
        var mergesBlocked = 0
        for l in links {
            let a = Int32(l >> 32), b = Int32(truncatingIfNeeded: l & 0xFFFF_FFFF)
            if blocked[Int(a)] || blocked[Int(b)] { mergesBlocked += 1 } else { uf.union(a, b) }
        }
        // The best key of each component: a customer key first, then the smallest (kind, value).
        // A blocked key is a component of its own. By kind first; where two keys of the best kind
        // tie, by their text, read below.
        let rank = (0..<KeyKind.allCases.count).map { KeyTable.rank(UInt8($0)) }
        var best = [Int32](repeating: -1, count: n)
        var tied = [Bool](repeating: false, count: n) // by root
        for k in 0..<Int32(n) {
            let root = blocked[Int(k)] ? k : uf.find(k)
            let b = best[Int(root)]
            if b < 0 || rank[Int(kinds[Int(k)])] < rank[Int(kinds[Int(b)])] {
                best[Int(root)] = k
                tied[Int(root)] = false
            } else if kinds[Int(k)] == kinds[Int(b)] {
                tied[Int(root)] = true
            }
        }
        // Text is needed for keys that tie, customer keys that name a person (its customer id),
        // and blocked keys (listed, and compared when a touchpoint has only blocked keys).
        var needed = [Bool](repeating: false, count: n)
        for k in 0..<Int32(n) {
            let root = blocked[Int(k)] ? k : uf.find(k)
            let b = best[Int(root)]
            if blocked[Int(k)] || (tied[Int(root)] && kinds[Int(k)] == kinds[Int(b)])
                || (b == k && KeyTable.kinds[Int(kinds[Int(k)])] == .customer) { needed[Int(k)] = true }
        }
        tied = []
        // The person hash of every key (FNV-1a 64 of `kind\0value`, what `person_id` spells when
        // the key names its person), from the text as it goes by.
        var texts: [Int32: String] = [:]
        var personHashes = [UInt64](repeating: 0, count: n)
        let seeds = KeyTable.kinds.map { kind in
            var h = FNV1a64()
            h.combine(kind.rawValue)
            h.combine(byte: 0)
            return h.value
        }
        var next: Int32 = 0
        let each = { (b: UnsafeRawBufferPointer) in
            var h = FNV1a64()
            h.value = seeds[Int(kinds[Int(next)])]
            h.combine(b.assumingMemoryBound(to: UInt8.self))
            personHashes[Int(next)] = h.value
            if needed[Int(next)] { texts[next] = String(decoding: b, as: UTF8.self) }
            next += 1
        }
        try drainedText(each)
        text.withUnsafeBytes { b in
            var at = 0
            while at < b.count, let r = Varint.record(in: b, at: at) {
                each(UnsafeRawBufferPointer(rebasing: b[r.start..<r.end]))
                at = r.end
            }
        }
        precondition(next == Int32(n), "the text of every key was given back")
        text = []
        needed = []
        // Ties, by text.
        for k in texts.keys where !blocked[Int(k)] {
            let root = uf.find(k)
            let b = best[Int(root)]
            if kinds[Int(k)] == kinds[Int(b)], texts[k]!.utf8.lexicographicallyPrecedes(texts[b]!.utf8) { best[Int(root)] = k }
        }
        let personKey = uf.labels { root in best[Int(root)] }
        var blockedKeys: [String] = []
        for k in 0..<n where blocked[k] {
            blockedKeys.append(KeyTable.kinds[Int(kinds[k])].rawValue + ":" + texts[Int32(k)]!)
        }
        blockedKeys.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return IdentityResolution(kinds: kinds, personHashes: personHashes, texts: texts, blocked: blocked, personKeyOf: personKey,
                                  mergesBlocked: mergesBlocked, blockedKeys: blockedKeys)
    }
}

/// Which person each key of an `IdentityGraph` belongs to.
public struct IdentityResolution: Sendable {
    /// Per key: its kind (index in `KeyTable.kinds`), its person hash, whether it is blocked,
    /// and the key naming its person.
    let kinds: Chunked<UInt8>
    let personHashes: [UInt64]
    let blocked: [Bool]
    let personKeyOf: [Int32]
    /// The text of the keys that need it: customer keys naming a person, blocked keys.
    let texts: [Int32: String]
    /// See `StitchResult`.
    public let mergesBlocked: Int
    public let blockedKeys: [String]

    init(kinds: Chunked<UInt8>, personHashes: [UInt64], texts: [Int32: String], blocked: [Bool], personKeyOf: [Int32],
         mergesBlocked: Int, blockedKeys: [String]) {
        self.kinds = kinds
        self.personHashes = personHashes
        self.texts = texts
        self.blocked = blocked
        self.personKeyOf = personKeyOf
        self.mergesBlocked = mergesBlocked
        self.blockedKeys = blockedKeys
    }

    /// How many keys there are (person keys are below it).
    public var keyCount: Int { personKeyOf.count }

    /// The key naming the person a touchpoint with keys `s` belongs to: that of its first
    /// unblocked key (customer, email, visitor, chat visitor); when all are blocked, the
    /// preferred one (see `Stitcher`) is a person of its own. Nil for a touchpoint without keys.
    public func personKey(_ s: KeySlots) -> Int32? {
        var fallback: Int32 = -1
        for i in 0..<4 where s[i] >= 0 {
            let k = s[i]
            if !blocked[Int(k)] { return personKeyOf[Int(k)] }
            if fallback < 0 || precedesForID(k, fallback) { fallback = k }
        }
        return fallback < 0 ? nil : fallback
    }

    /// Order for choosing the key a person id comes from, between two blocked keys (whose text
    /// is kept): customer keys first, then (kind, value) in byte order.
    private func precedesForID(_ a: Int32, _ b: Int32) -> Bool {
        let ka = kinds[Int(a)], kb = kinds[Int(b)]
        if ka != kb { return KeyTable.rank(ka) < KeyTable.rank(kb) }
        return texts[a]!.utf8.lexicographicallyPrecedes(texts[b]!.utf8)
    }

    /// The person named by `key` (a `personKey` result): its id, the 64-bit hash the id spells
    /// in hex (ids sort as their hashes do), and its customer id.
    public func person(_ key: Int32) -> (id: String, hash: UInt64, customerID: String?) {
        var h = FNV1a64()
        h.value = personHash(key)
        return ("p" + h.hex, h.value, KeyTable.kinds[Int(kinds[Int(key)])] == .customer ? texts[key] : nil)
    }

    /// The hash `person(key).id` spells.
    public func personHash(_ key: Int32) -> UInt64 { personHashes[Int(key)] }
}

/// Identity keys interned to dense `Int32` ids by their 128-bit fingerprint (ids follow first
/// appearance; nothing orders by them). Per key: the fingerprint (16 bytes) and its slot in an
/// open-addressing index (4 bytes at a load of at most 2/3), freed by `stopInterning`, and the
/// kind (1 byte). Storage grows in fixed blocks, never by copying.
struct KeyTable: Sendable {
    private var fingerprints = Chunked<KeyFingerprint>()
    /// Open addressing with linear probing on the fingerprint's low bits: key id, or -1.
    private var index = [Int32](repeating: -1, count: 1 << 12)
    private(set) var kinds = Chunked<UInt8>()

    var count: Int { kinds.count }

    /// `KeyKind.allCases`, made once (`allCases` builds a new array at every use).
    static let kinds = KeyKind.allCases

    static func index(_ kind: KeyKind) -> Int { kinds.firstIndex(of: kind)! }

    /// Order of kinds for choosing the key a person id comes from: customer first, then by name.
    static func rank(_ kind: UInt8) -> Int { kinds[Int(kind)] == .customer ? -1 : Int(kind) }

    /// The id of the key, and whether it is new.
    mutating func intern(_ kind: KeyKind, _ f: KeyFingerprint) -> (Int32, Bool) {
        let mask = index.count - 1
        var i = Int(truncatingIfNeeded: f.low) & mask
        while index[i] >= 0 {
            if fingerprints[Int(index[i])] == f { return (index[i], false) }
            i = (i + 1) & mask
        }
        let id = Int32(count)
        index[i] = id
        fingerprints.append(f)
        kinds.append(UInt8(Self.index(kind)))
        if count * 3 > index.count * 2 { grow() }
        return (id, true)
    }

    private mutating func grow() {
        index = [Int32](repeating: -1, count: index.count * 2)
        let mask = index.count - 1
        for id in 0..<count {
            var i = Int(truncatingIfNeeded: fingerprints[id].low) & mask
            while index[i] >= 0 { i = (i + 1) & mask }
            index[i] = Int32(id)
        }
    }

    /// Frees what only interning needs.
    mutating func stopInterning() {
        fingerprints = Chunked()
        index = []
    }
}

/// An array that grows in blocks of 64 Ki elements, so that growing never copies what it holds
/// (a copy would need twice the memory for a moment).
struct Chunked<Element>: Sendable where Element: Sendable {
    private var blocks: [[Element]] = []
    private(set) var count = 0
    private static var blockSize: Int { 1 << 16 }

    mutating func append(_ e: Element) {
        if count == blocks.count * Self.blockSize {
            var block: [Element] = []
            block.reserveCapacity(Self.blockSize)
            blocks.append(block)
        }
        blocks[blocks.count - 1].append(e)
        count += 1
    }

    subscript(i: Int) -> Element { blocks[i >> 16][i & 0xFFFF] }
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

    /// `label(root of x)` for every x, in the parent array's own memory (the union-find is used up).
    consuming func labels(_ label: (Int32) -> Int32) -> [Int32] {
        for x in parent.indices { parent[x] = find(Int32(x)) }
        for x in parent.indices { parent[x] = label(parent[x]) }
        return parent
    }
}
