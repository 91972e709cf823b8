import Foundation
import JourneysCore
import JourneysEngine
import JourneysIO
import JourneysStages

/// Where `journeys run` keeps its touchpoints between reading and building journeys, within a
/// memory limit.
///
/// **Reading.** Workers encode each chunk's touchpoints (`encode`); the consumer, in input
/// order, interns their identity keys into the `IdentityGraph` (which also collects the links
/// between keys) and appends one compact `TouchpointRecord` per touchpoint to a `SpillStore`.
/// The keys' text goes to a second store. When the two outgrow half of the memory limit, or the
/// process's resident memory (with the key table, some 24 bytes per distinct key) 60% of it,
/// they move to unnamed temporary files next to the outputs, so what stays in memory grows
/// with distinct keys, not with lines, and a few dozen bytes per key.
///
/// **Building.** Once every input is read, the graph resolves which person each key belongs to.
/// Persons are cut into partitions by the 64-bit hash their `person_id` spells, in hash ranges,
/// so partitions come out in `person_id` order; each partition is small enough to decode
/// within the limit. For each partition in turn its records are decoded, repeated
/// touchpoints dropped (`Duplicates`: a repeat has the same keys, so the same person and
/// partition), and the journeys built and handed on to the reports, which keep only totals;
/// with two or more threads the next partition is decoded while the current one's journeys
/// are built. A spilled store is first routed into one
/// temporary file per partition in a single pass; a store in memory is walked by offset.
/// Either way the journeys, and so every output, are the same bytes as with no limit at all.
final class TouchpointStore {
    var graph: IdentityGraph
    /// The run's string tables: every record's string ids point into them.
    var strings = TouchpointColumns.Strings()
    let store: SpillStore
    /// The identity keys' text (`IdentityGraph.drainText`), spilled with the records.
    let keyText: SpillStore
    private let directory: String
    let memoryLimit: Int64
    private(set) var count: Int64 = 0
    /// Added to the input number of every chunk's touchpoints: a state's inputs come first.
    var inputBase: Int32 = 0
    /// The first and last touchpoint times (UTC ms) stored.
    private(set) var firstTime = Int64.max
    private(set) var lastTime = Int64.min
    private var scratch: [UInt8] = []

    /// Bytes a decoded touchpoint takes while its partition's journeys are built (with its
    /// strings, its copy in the journey and the bookkeeping, as measured with `/usr/bin/time`).
    static let bytesPerDecodedTouchpoint: Int64 = 3000
    /// Touchpoints decoded at once, whatever the limit: more buys no speed, only memory.
    static let maxPartition: Int64 = 100_000

    init(config: JourneyConfig, directory: String, memoryLimit: Int64) {
        graph = IdentityGraph(config: config)
        store = SpillStore(directory: directory)
        keyText = SpillStore(directory: directory)
        self.directory = directory
        self.memoryLimit = memoryLimit
    }

    var isSpilled: Bool { store.isSpilled }
    var storedBytes: Int64 { store.size }

    /// A chunk's touchpoints with what the consumer needs of each, worked out on a worker.
    struct EncodedChunk: Sendable {
        var batch: TouchpointBuffer
        var rests: [UInt64] = []
        var lineTouchpoints: [Int] = []
        var keyFingerprints: [KeyFingerprints] = []
        var member = 0
    }

    /// Worker side: the rest hash and key fingerprints of each touchpoint
    /// of `batch` (the touchpoints of one line are adjacent).
    static func encode(_ batch: TouchpointBuffer, member: Int, config: JourneyConfig) -> EncodedChunk {
        var c = EncodedChunk(batch: batch)
        let n = batch.count
        c.member = member
        c.rests.reserveCapacity(n)
        c.lineTouchpoints.reserveCapacity(n)
        c.keyFingerprints.reserveCapacity(n)
        // Each distinct key's fingerprint, once per kind: `memo[kind's index * ids + id]`, made
        // when first needed (`known`).
        let ids = batch.keyStrings.count + 1
        var memo = [KeyFingerprint?](repeating: nil, count: ids * 4)
        var known = [Bool](repeating: false, count: memo.count)
        func fingerprint(_ kind: KeyKind, _ id: UInt32) -> KeyFingerprint? {
            guard id != 0 else { return nil }
            let index = switch kind { case .chatVisitor: 0; case .customer: 1; case .email: 2; case .visitor: 3 }
            let k = index * ids + Int(id)
            if known[k] { return memo[k] }
            let f: KeyFingerprint? = batch.keyStrings.withBytes(id) { $0.isEmpty ? nil : KeyFingerprint(kind, $0) }
            memo[k] = f
            known[k] = true
            return f
        }
        let chatKind = KeyFingerprints.chatVisitorKind(chatVisitorIsWebVisitor: config.chatVisitorIsWebVisitor)
        let columns = batch.columns
        var i = 0
        while i < n {
            var j = i
            while j < n, columns.input[j] == columns.input[i], columns.line[j] == columns.line[i] { j += 1 }
            for k in i..<j {
                c.rests.append(TouchpointRecord.restHash(batch, k))
                c.lineTouchpoints.append(j - i)
                c.keyFingerprints.append(KeyFingerprints(customer: fingerprint(.customer, batch.customer[k]),
                                                         email: fingerprint(.email, batch.email[k]),
                                                         visitor: fingerprint(.visitor, batch.visitor[k]),
                                                         chatVisitor: fingerprint(chatKind, batch.chatVisitor[k])))
            }
            i = j
        }
        return c
    }

    /// Consumer side, in input order: the chunk's strings join the run's tables (so ids are
    /// given in input order, whatever the thread count), then one record per touchpoint.
    /// `add`'s memo of the graph's key ids, reused from chunk to chunk.
    private var keyIDs: [Int32] = []

    func add(_ c: EncodedChunk) throws {
        scratch.removeAll(keepingCapacity: true)
        let b = c.batch
        let paths = strings.paths.merge(b.strings.paths), values = strings.values.merge(b.strings.values)
        // The graph's id of each of the chunk's keys, per slot, once looked up (-2: not yet):
        // a person's lines are often in the same chunk.
        let ids = b.keyStrings.count + 1
        keyIDs.removeAll(keepingCapacity: true)
        keyIDs.append(contentsOf: repeatElement(-2, count: ids * 4))
        func key(_ slot: Int, _ id: UInt32, _ f: KeyFingerprint?) -> Int32 {
            let m = slot * ids + Int(id)
            if keyIDs[m] != -2 { return keyIDs[m] }
            let k = graph.key(slot: slot, f) { body in b.keyStrings.withBytes(id, body) }
            keyIDs[m] = k
            return k
        }
        for i in 0..<b.count {
            let f = c.keyFingerprints[i].slots
            let slots = KeySlots(key(0, b.customer[i], f.0), key(1, b.email[i], f.1), key(2, b.visitor[i], f.2),
                                 key(3, b.chatVisitor[i], f.3))
            graph.link(slots)
            var row = b.columns[i]
            row.remap(paths: paths, values: values)
            row.input += inputBase
            noteTime(row.time)
            let h = TouchpointRecord.Header(origin: row.origin, member: c.member, lineTouchpoints: c.lineTouchpoints[i],
                                            slots: slots)
            TouchpointRecord.append(header: h, row: row, rest: c.rests[i], to: &scratch)
        }
        count += Int64(b.count)
        try store.append(scratch)
        try spillIfNeeded()
    }

    @inline(__always) func noteTime(_ t: Int64) {
        if t < firstTime { firstTime = t }
        if t > lastTime { lastTime = t }
    }

    /// Appends records already in the run's ids (`load(state:)`).
    func appendLoaded(_ records: UnsafeRawBufferPointer, count n: Int) throws {
        count += Int64(n)
        try store.append(records)
        try spillIfNeeded()
    }

    private func spillIfNeeded() throws {
        try graph.drainText { try keyText.append($0) }
        // The keys count against the limit with the records: past it, both go to files.
        if !store.isSpilled, store.size + keyText.size + Int64(strings.heldBytes) > memoryLimit / 2 || Self.residentBytes() > memoryLimit / 10 * 6 {
            try store.spill()
            try keyText.spill()
            MemoryTuning.releaseFreeMemory()
        }
    }

    /// What building found besides the journeys.
    struct Built {
        /// Journeys built (and handed to `emit`).
        var persons = 0
        var mergesBlocked = 0
        var blockedKeys: [String] = []
        /// Kept touchpoints per input.
        var touchpoints: [Int64]
        /// Lines whose every touchpoint repeated an earlier one, per input.
        var duplicateLines: [Int64]
        var duplicates: Int64 = 0
        /// Touchpoints left out as outside `--since` / `--until`.
        var outsideWindow: Int64 = 0
        var partitions = 1
        /// Seconds spent decoding records (and dropping repeats), and building journeys from them.
        var decodeSeconds = 0.0
        var journeySeconds = 0.0
    }

    /// Touchpoints left out of the journeys (and of the state).
    struct Discard: Sendable {
        /// `fromMember[input]`: that input's touchpoints from this gzip member on (the member
        /// failed its check).
        var fromMember: [Int32: Int] = [:]
        /// Touchpoints before this time (UTC ms): older than the state's retention.
        var before = Int64.min
        /// `--since` / `--until`: the reports' window, [from, to) in UTC ms (the state keeps what
        /// is outside it).
        var windowFrom = Int64.min
        var windowTo = Int64.max

        func outsideWindow(_ time: Int64) -> Bool { time < windowFrom || time >= windowTo }

        func drops(_ h: TouchpointRecord.Header, time: Int64) -> Bool {
            if time < before || outsideWindow(time) { return true }
            guard let m = fromMember[h.origin.input] else { return false }
            return h.member >= m
        }
    }

    /// Builds every journey and hands them to `emit` a partition at a time, in `person_id` order
    /// (nothing keeps them), leaving out what `discard` drops.
    func build(inputNames: [String], config: JourneyConfig, threads: Int, discard: Discard,
               emit: ([Journey]) throws -> Void) throws -> Built {
        if !discard.fromMember.isEmpty || discard.before > firstTime || discard.windowFrom > firstTime || discard.windowTo <= lastTime {
            // Links seen only on discarded touchpoints must not join persons.
            graph.removeLinks()
            try store.forEachRecord { b in
                var r = TouchpointRecord.Reader(b)
                let h = r.header()
                if !discard.drops(h, time: r.body(origin: h.origin).0.time) { graph.link(h.slots) }
            }
        }
        let resolution = try graph.resolve { each in try keyText.forEachRecord { each($0) } }
        keyText.release()
        MemoryTuning.releaseFreeMemory() // the scan's buffers, before sizing partitions
        var built = Built(touchpoints: [Int64](repeating: 0, count: inputNames.count),
                          duplicateLines: [Int64](repeating: 0, count: inputNames.count))
        built.mergesBlocked = resolution.mergesBlocked
        built.blockedKeys = resolution.blockedKeys

        // Partitions: ranges of the person hash, each with at most about `perPartition` touchpoints
        // (assuming persons spread evenly over hashes, which FNV-1a gives).
        // What the limit leaves beside what is resident now (the resolved keys, buffers), half of
        // it for the decoded touchpoints, the rest for the partition's journeys on their way to
        // the reports and what the reports keep (the funnel's gaps). With more than one
        // thread two partitions are decoded at a time (one being built, the next being decoded),
        // so each is half the size.
        let overlap = threads > 1
        let headroom = memoryLimit - Self.residentBytes()
        let inFlight: Int64 = overlap ? 2 : 1
        let perPartition = max(1000, min(Self.maxPartition / inFlight, headroom / 2 / inFlight / Self.bytesPerDecodedTouchpoint))
        let partitions = Int(max(1, (count + perPartition - 1) / perPartition))
        built.partitions = partitions
        func partition(of h: TouchpointRecord.Header) -> Int {
            guard let pk = resolution.personKey(h.slots) else { return 0 } // no person: counted in partition 0
            return Int(resolution.personHash(pk).multipliedFullWidth(by: UInt64(partitions)).high)
        }

        // Each partition's records, as a function that feeds them one by one to its argument.
        typealias Feed = ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
        var feeds: [Feed] = []
        if partitions == 1 {
            feeds = [{ body in try self.store.forEachRecord(body) }]
        } else if !store.isSpilled {
            // In memory: note where each partition's records start, then walk them partition by partition.
            var offsets = [[Int]](repeating: [], count: partitions)
            try store.forEachHeldRecord { b, position in
                var r = TouchpointRecord.Reader(b)
                offsets[partition(of: r.header())].append(position)
            }
            let store = self.store
            feeds = offsets.map { list in { body in for position in list { try store.withRecord(at: position, body) } } }
        } else {
            // Spilled: route every record into its partition's file in one pass, then read each once.
            // Write buffers: an eighth of the limit between them, 1 MiB at most each, 4 KiB at least
            // (a larger floor made them grow with the partition count, past the limit: 64 KiB
            // each for 6,400 partitions is 400 MB).
            let buffer = Int(max(4 << 10, min(1 << 20, memoryLimit / 8 / Int64(partitions))))
            let parts = (0..<partitions).map { _ in SpillStore(directory: directory, bufferSize: buffer) }
            for p in parts { try p.spill() }
            var lengthPrefix: [UInt8] = []
            try store.forEachRecord { b in
                var r = TouchpointRecord.Reader(b)
                let p = parts[partition(of: r.header())]
                lengthPrefix.removeAll(keepingCapacity: true)
                Varint.append(UInt64(b.count), to: &lengthPrefix)
                try p.append(lengthPrefix)
                try p.append(b)
            }
            feeds = parts.map { p in { body in try p.forEachRecord(body); p.release() } }
        }

        let decoder = PartitionDecoder(resolution: resolution, inputs: inputNames.count, discard: discard,
                                       expected: Int(count / Int64(partitions)))
        let builder = JourneyBuilder(config: config, inputNames: inputNames, strings: strings)
        func journeys(_ d: PartitionDecoder.Decoded, threads: Int) throws {
            let started = DispatchTime.now().uptimeNanoseconds
            let js = Engine.map(d.persons.count, threads: threads) { p in builder.journey(for: d.persons[p], in: d.columns) }
            built.journeySeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            built.persons += js.count
            try emit(js)
        }
        if !overlap || feeds.count == 1 {
            for feed in feeds {
                try journeys(try decoder.decode(feed), threads: threads)
                if partitions > 1 { releaseIfNearLimit() } // before the next partition
            }
        } else {
            // Decoding (one thread) overlaps building journeys (the other threads): while partition
            // p is built, p + 1 is decoded. The hand-over has a window of one, so the decoder waits
            // for p to be taken before it starts p + 1, and at most two are decoded at a time.
            // The decoder touches only its own state and the partitions' read-only stores.
            try Engine.handOver(feeds.count, window: 1, produce: { p in try decoder.decode(feeds[p]) }) { d in
                try journeys(d, threads: threads - 1)
                releaseIfNearLimit()
            }
        }
        built.duplicates = decoder.duplicates
        built.outsideWindow = decoder.outsideWindow
        built.touchpoints = decoder.touchpoints
        built.decodeSeconds = decoder.seconds
        for (line, n) in decoder.repeatedLines where n.dropped >= n.of { built.duplicateLines[Int(line.input)] += 1 }
        return built
    }

    /// Hands memory freed by a partition back to the kernel, but only near the limit: doing it
    /// after every partition made the next one fault all its pages in again (a third of decoding).
    private func releaseIfNearLimit() {
        if Self.residentBytes() > memoryLimit / 10 * 6 { MemoryTuning.releaseFreeMemory() }
    }

    /// This process's resident memory (0 where /proc is missing).
    static func residentBytes() -> Int64 {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 128)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return 0 }
        // "size resident shared …" in pages.
        let fields = buf[0..<n].split(separator: 32)
        guard fields.count > 1, let pages = Int64(String(decoding: fields[1], as: UTF8.self)) else { return 0 }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Decodes one partition's records into touchpoints, dropping repeats, and groups them by person.
/// Partitions are decoded one after another (on one thread at a time), so its counts need no lock.
final class PartitionDecoder {
    struct Decoded: Sendable {
        var columns: TouchpointColumns
        /// Sorted by the hash their `person_id` spells (then customer id), as the outputs list them.
        var persons: [StitchedPerson]
    }

    let resolution: IdentityResolution
    let discard: TouchpointStore.Discard
    private(set) var touchpoints: [Int64]
    private(set) var duplicates: Int64 = 0
    private(set) var outsideWindow: Int64 = 0
    /// Lines some of whose touchpoints were dropped as repeats: (dropped, of how many).
    private(set) var repeatedLines: [Origin: (dropped: Int, of: Int)] = [:]
    private(set) var seconds = 0.0

    /// About how many touchpoints a partition holds (its arrays are reserved at that size, plus a tenth).
    let expected: Int
    /// Person key → its number in the partition being grouped, -1 otherwise (kept between partitions).
    private var localOf: [Int32] = []

    init(resolution: IdentityResolution, inputs: Int, discard: TouchpointStore.Discard, expected: Int) {
        self.resolution = resolution
        self.discard = discard
        self.expected = expected + expected / 10
        touchpoints = [Int64](repeating: 0, count: inputs)
    }

    static func powerOfTwo(above n: Int) -> Int { n <= 1 ? 1 : 1 << (Int.bitWidth - (n - 1).leadingZeroBitCount) }

    func decode(_ feed: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> Decoded {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        var columns = TouchpointColumns()
        var slots: [KeySlots] = []
        var rests: [UInt64] = []
        var owner: [Int32] = []
        columns.reserveCapacity(expected)
        slots.reserveCapacity(expected)
        rests.reserveCapacity(expected)
        owner.reserveCapacity(expected)
        // An open-addressing index of fingerprints: each slot holds 1 + the first kept touchpoint
        // with a fingerprint (`fingerprints` has each one's); `sameFingerprint` chains the later ones.
        var fingerprints: [UInt64] = []
        fingerprints.reserveCapacity(expected)
        var index = [Int32](repeating: 0, count: max(1024, Self.powerOfTwo(above: expected * 2)))
        var sameFingerprint: [Int32] = []
        sameFingerprint.reserveCapacity(expected)
        try feed { b in
            var r = TouchpointRecord.Reader(b)
            let h = r.header()
            let (row, rest) = r.body(origin: h.origin)
            if discard.drops(h, time: row.time) {
                if row.time >= discard.before, discard.outsideWindow(row.time) { outsideWindow += 1 }
                return
            }
            let fingerprint = Duplicates.fingerprint(row, h.slots, rest: rest)
            var mask = index.count - 1
            var at = Int(truncatingIfNeeded: fingerprint) & mask
            while index[at] != 0, fingerprints[Int(index[at] - 1)] != fingerprint { at = (at + 1) & mask }
            let first = index[at] - 1
            var e = first
            while e >= 0 {
                if Duplicates.same(columns[Int(e)], slots[Int(e)], rests[Int(e)], row, h.slots, rest) {
                    duplicates += 1
                    let line = Origin(input: h.origin.input, line: h.origin.line, offset: 0)
                    repeatedLines[line, default: (0, h.lineTouchpoints)].dropped += 1
                    return
                }
                e = sameFingerprint[Int(e)]
            }
            // Chain the new one after the first (order within a chain does not matter).
            let new = Int32(columns.count)
            if first >= 0 {
                sameFingerprint.append(sameFingerprint[Int(first)])
                sameFingerprint[Int(first)] = new
            } else {
                sameFingerprint.append(-1)
                index[at] = new + 1
            }
            fingerprints.append(fingerprint)
            touchpoints[Int(h.origin.input)] += 1
            columns.append(row)
            slots.append(h.slots)
            rests.append(rest)
            owner.append(resolution.personKey(h.slots) ?? -1)
            if columns.count * 2 > index.count { // keep the index at most half full
                index = [Int32](repeating: 0, count: index.count * 2)
                mask = index.count - 1
                // The first touchpoint with each fingerprint heads its chain.
                for (k, f) in fingerprints.enumerated() {
                    var at = Int(truncatingIfNeeded: f) & mask
                    while index[at] != 0, fingerprints[Int(index[at] - 1)] != f { at = (at + 1) & mask }
                    if index[at] == 0 { index[at] = Int32(k) + 1 }
                }
            }
        }
        index = []
        sameFingerprint = []
        fingerprints = []
        // Persons: the touchpoints grouped by person key with a counting sort (each person's in
        // column order), then the persons sorted by the hash their id spells.
        if localOf.count < resolution.keyCount { localOf = [Int32](repeating: -1, count: resolution.keyCount) }
        var local = localOf // person key → its number in this partition (-1 elsewhere)
        localOf = []
        var keys: [Int32] = []
        defer { for pk in keys { local[Int(pk)] = -1 }; localOf = local } // ready for the next partition
        var counts: [Int] = []
        for pk in owner where pk >= 0 {
            if local[Int(pk)] < 0 { local[Int(pk)] = Int32(keys.count); keys.append(pk); counts.append(0) }
            counts[Int(local[Int(pk)])] += 1
        }
        var starts = [Int](repeating: 0, count: keys.count + 1)
        for k in keys.indices { starts[k + 1] = starts[k] + counts[k] }
        var grouped = [Int](repeating: 0, count: starts[keys.count])
        var next = starts
        for (i, pk) in owner.enumerated() where pk >= 0 {
            let k = Int(local[Int(pk)])
            grouped[next[k]] = i
            next[k] += 1
        }
        var persons: [(hash: UInt64, person: StitchedPerson)] = keys.indices.map { k in
            let p = resolution.person(keys[k])
            return (p.hash, StitchedPerson(personID: p.id, customerID: p.customerID, touchpointIndices: Array(grouped[starts[k]..<starts[k + 1]])))
        }
        persons.sort { a, b in a.hash != b.hash ? a.hash < b.hash : a.person.customerID ?? "" < b.person.customerID ?? "" }
        return Decoded(columns: columns, persons: persons.map(\.person))
    }
}
