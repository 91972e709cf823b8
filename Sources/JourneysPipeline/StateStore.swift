import Foundation
import JourneysCore
import JourneysEngine
import JourneysIO
import JourneysReports
import JourneysStages

/// `--state DIR` / `state:`: where `journeys run` keeps what it read on earlier nights.
public struct StateSettings: Sendable, Equatable {
    /// The state folder (nil: no state; every run sees only its own inputs).
    public var dir: String?
    /// Touchpoints older than this many days before the newest one kept are dropped.
    public var retentionDays = StateSettings.defaultRetentionDays
    /// 400 days: thirteen months and a bit, so this month can be set beside the same month a
    /// year ago.
    public static let defaultRetentionDays = 400

    public init() {}
}

/// What the state file says about itself (its first frame, JSON).
struct StateHeader: Codable, Equatable {
    static let formatName = "journeys-state"
    static let currentVersion = 1

    var format = StateHeader.formatName
    var version = StateHeader.currentVersion
    /// `journeys --version` of the run that wrote it.
    var writtenBy = JourneysVersion.string
    /// Runs that added to it, this one included.
    var runs = 0
    /// Which pseudonym key made its emails and IPs ("" with none): a run with another key would
    /// not recognise its own visitors, so it is refused.
    var keyCheck = ""
    var retentionDays = StateSettings.defaultRetentionDays
    /// Touchpoints older than this (UTC ms) were dropped; nil when none was ever dropped.
    var keptFrom: Int64?
    /// Every input that gave touchpoints or content (`index` in records is a position here).
    var inputs: [StateInput] = []
    /// Touchpoints dropped (retention) since the state was last written compacted.
    var droppedSinceCompaction: Int64?
    /// `identity.chat_visitor_is_web_visitor` when its keys were made: a chat visitor id is a
    /// key of its own kind or a visitor key, and a run with the other setting is refused.
    var chatVisitorIsWebVisitor: Bool?

    enum CodingKeys: String, CodingKey {
        case format, version, writtenBy = "written_by", runs, keyCheck = "key_check", retentionDays = "retention_days"
        case keptFrom = "kept_from", inputs, droppedSinceCompaction = "dropped_since_compaction"
        case chatVisitorIsWebVisitor = "chat_visitor_is_web_visitor"
    }
}

/// One input a run read, as the state remembers it.
struct StateInput: Codable, Equatable {
    /// Its name when it was read.
    var name: String
    var format: String?
    /// The run (1, 2 …) that read it.
    var run: Int
    /// Its content as read then (nil for a damaged input), and the part of it up to its last
    /// newline (for a truncated gzip input, the complete lines it kept; nil for other damage: it
    /// is not recognised later, and the touchpoints read again from it are dropped as repeats).
    var content: ContentFingerprint?
    var linesEnd: ContentFingerprint?
    /// Its reader took a header from its first lines (CSV, W3C): known whole only.
    var headed: Bool?
    /// Touchpoints of it kept in the state, and their first and last times (UTC ms).
    var touchpoints: Int64 = 0
    var first: Int64?
    var last: Int64?
}

/// Why the state could not be read or written.
public struct StateError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ d: String) { description = d }
}

/// The state file, `DIR/journeys.state`: the touchpoints of every night still within the
/// retention, the strings and identity keys they use, and the fingerprints of every input read.
///
/// **Format (version 1).** A sequence of gzip members, each one frame: a tag byte, a varint
/// length and that many bytes. Every member carries its own CRC-32 and length, so damage is
/// found, and named with its byte offset, wherever it is. Frames, in order: `J` the header
/// (`StateHeader`, JSON); `P` and `V` the URL paths and the other strings (varint length and
/// bytes each, ids 1, 2 … in order); `K` the identity keys (kind byte, varint length, bytes;
/// ids 0, 1 … in order); `R` touchpoint records (`TouchpointRecord`, each with its varint
/// length; `input` is a position in the header's inputs, member 0); `E` the end: varint counts
/// of paths, values, keys and records, which must match what came before. A file without its
/// `E` frame is incomplete and is never used.
///
/// **Updates.** A run writes the whole new state to a temp file in the folder, fsyncs it and
/// renames it over the old one (then fsyncs the folder), before it publishes its reports. A
/// crash, `kill -9` or a full disk before the rename leaves the previous state as it was (the
/// temp is removed by the next run); after it, the next run's reports are rebuilt from it. The
/// folder is locked (`.journeys.lock`) for the whole run.
enum StateFile {
    static let fileName = "journeys.state"
    static let frameBytes = 1 << 20

    enum Tag: UInt8 {
        case header = 0x4A, paths = 0x50, values = 0x56, keys = 0x4B, records = 0x52, end = 0x45

        /// Frames come in this order.
        var rank: Int {
            switch self { case .header: 0; case .paths: 1; case .values: 2; case .keys: 3; case .records: 4; case .end: 5 }
        }
    }

    /// The key check of a pseudonym policy: a pseudonym of a fixed text, or "" with no key.
    static func keyCheck(_ pii: PIIPolicy) -> String {
        guard case .pseudonymise(let key) = pii.mode else { return "" }
        return PIIPolicy.pseudonym("journeys state key check", prefix: "k_", key: key)
    }

    // MARK: reading

    /// Splits decoded bytes into frames and hands each to `frame`.
    struct FrameSplitter: DecodedBytesConsumer {
        var buffer: [UInt8] = []
        var offset: Int64 = 0
        var failure: StateError?
        let frame: (Tag, UnsafeRawBufferPointer) throws -> Void

        mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, member: Int) {
            guard failure == nil else { return }
            buffer.append(contentsOf: bytes)
            var at = 0
            buffer.withUnsafeBytes { b in
                while failure == nil, at < b.count {
                    guard let tag = Tag(rawValue: b[at]) else {
                        failure = StateError("unknown frame \(b[at]) at decoded byte \(offset + Int64(at))")
                        return
                    }
                    // The length first: a frame claiming more than 64 MiB is refused before it is waited for.
                    var length: UInt64 = 0, shift: UInt64 = 0, i = at + 1
                    while i < b.count, shift < 64 { length |= UInt64(b[i] & 0x7F) << shift; if b[i] < 0x80 { break }; shift += 7; i += 1 }
                    guard length <= 64 << 20 else {
                        failure = StateError("a frame of \(length) bytes at decoded byte \(offset + Int64(at))")
                        return
                    }
                    guard let (start, end) = Varint.record(in: b, at: at + 1) else { return } // not all there yet
                    do { try frame(tag, UnsafeRawBufferPointer(rebasing: b[start..<end])) } catch {
                        failure = error as? StateError ?? StateError("\(error)")
                        return
                    }
                    at = end
                }
            }
            buffer.removeFirst(at)
            offset += Int64(at)
        }

        mutating func memberVerified(_ member: Int) {}
    }

    /// Reads the state file at `path` frame by frame. Damage, a frame out of place or counts that
    /// do not match are a `StateError` naming the file and where.
    /// `frame` reads one frame and returns how many entries (strings, keys, records) it held.
    static func read(path: String, frame: @escaping (Tag, UnsafeRawBufferPointer) throws -> Int) throws(StateError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StateError("\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var last: Tag?
        var counts = [0, 0, 0, 0] // paths, values, keys, records
        var end: [Int]?
        var splitter = FrameSplitter(frame: { tag, b in
            guard end == nil else { throw StateError("a frame after the end frame") }
            guard (last == nil) == (tag == .header) else {
                throw StateError(last == nil ? "no header first: not a journeys state file" : "a second header")
            }
            if let last, tag.rank < last.rank { throw StateError("frame \(Character(UnicodeScalar(tag.rawValue))) out of place") }
            last = tag
            let n = try frame(tag, b)
            if (1...4).contains(tag.rank) { counts[tag.rank - 1] += n }
            if tag == .end {
                var at = 0
                func next() -> Int {
                    var v: UInt64 = 0, shift: UInt64 = 0
                    while at < b.count, shift < 64 { let x = b[at]; at += 1; v |= UInt64(x & 0x7F) << shift; if x < 0x80 { break }; shift += 7 }
                    return Int(clamping: v)
                }
                end = [next(), next(), next(), next()]
            }
        })
        let decoded = ByteStreamDecoder().decode(read: Inputs.reader(fd: fd), into: &splitter)
        if let d = decoded.damage { throw StateError("\(path): damaged at \(d)") }
        if let f = splitter.failure { throw StateError("\(path): \(f)") }
        guard decoded.isGzip else { throw StateError("\(path): not a journeys state file (not gzip)") }
        guard last != nil else { throw StateError("\(path): no header: not a journeys state file") }
        guard let e = end else { throw StateError("\(path): incomplete: no end frame (a write that did not finish)") }
        guard splitter.buffer.isEmpty else { throw StateError("\(path): \(splitter.buffer.count) bytes after the end frame") }
        guard e == counts else {
            throw StateError("\(path): the end frame counts \(e[0]) paths, \(e[1]) strings, \(e[2]) keys and \(e[3]) records; the file holds \(counts[0]), \(counts[1]), \(counts[2]) and \(counts[3])")
        }
    }

    /// Each length-prefixed entry of a frame (after a kind byte with `kinds`).
    /// Returns how many there were; an entry cut short is a `StateError`.
    @discardableResult
    static func entries(_ b: UnsafeRawBufferPointer, kinds: Bool = false, _ body: (UInt8, UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var at = 0, n = 0
        while at < b.count {
            var kind: UInt8 = 0
            if kinds { kind = b[at]; at += 1 }
            guard let (start, end) = Varint.record(in: b, at: at) else { throw StateError("an entry is cut short") }
            try body(kind, UnsafeRawBufferPointer(rebasing: b[start..<end]))
            at = end
            n += 1
        }
        return n
    }

    /// Just the header.
    static func header(path: String) throws(StateError) -> StateHeader {
        struct Stop: Error {}
        var header: StateHeader?
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StateError("\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var splitter = FrameSplitter { tag, b in
            if tag == .header { header = try decodeHeader(b, path: path) }
            throw StateError("stop")
        }
        _ = ByteStreamDecoder().decode(read: Inputs.reader(fd: fd), into: &splitter)
        guard let header else { throw StateError("\(path): no header: not a journeys state file, or damaged at its start") }
        return header
    }

    static func decodeHeader(_ b: UnsafeRawBufferPointer, path: String) throws -> StateHeader {
        let h: StateHeader
        do { h = try JSONDecoder().decode(StateHeader.self, from: Data(b)) } catch {
            throw StateError("\(path): the header is not a journeys state header: \(error)")
        }
        guard h.format == StateHeader.formatName else { throw StateError("\(path): not a journeys state file") }
        guard h.version == StateHeader.currentVersion else {
            throw StateError("\(path): state format version \(h.version), written by journeys \(h.writtenBy); this journeys (\(JourneysVersion.string)) reads version \(StateHeader.currentVersion)")
        }
        return h
    }

    // MARK: writing

    /// Writes frames as gzip members through `file`, at most `frameBytes` each, compressed a few
    /// at a time on the engine's threads (in order: the bytes do not depend on the thread count).
    final class FrameWriter {
        let file: OutputFile
        var tag = Tag.header
        var payload: [UInt8] = []
        /// Frames waiting to be compressed.
        private var pending: [[UInt8]] = []
        static let batch = 8

        init(file: OutputFile) { self.file = file }

        func begin(_ t: Tag) throws {
            try flush()
            tag = t
        }

        /// One entry (`appendEntry` callers write it into `payload`), then a flush when full.
        func entryAdded() throws { if payload.count >= StateFile.frameBytes { try flush() } }

        /// Ends the frame being written.
        func flush() throws {
            guard !payload.isEmpty else { return }
            var frame: [UInt8] = [tag.rawValue]
            Varint.append(UInt64(payload.count), to: &frame)
            frame += payload
            payload.removeAll(keepingCapacity: true)
            pending.append(frame)
            if pending.count >= Self.batch { try drain() }
        }

        /// Compresses and writes every frame ended so far.
        func drain() throws {
            let frames = pending
            pending = []
            for member in Engine.map(frames.count, threads: 2, { GzipCompressor.compress(frames[$0], level: 1) }) {
                try file.write(member)
            }
        }

        /// Ends the last frame and writes everything.
        func finish() throws {
            try flush()
            try drain()
        }
    }
}

extension TouchpointStore {
    /// What loading a state file added.
    struct Loaded {
        var header: StateHeader
        var records: Int64 = 0
        var dropped: Int64 = 0
    }

    /// Loads the state file at `path` into this store, which must be empty: its strings become
    /// the run's first strings and its keys the graph's first keys, in order, so every stored
    /// record keeps its ids and its input number (the state's inputs are the run's first
    /// inputs) and is appended as it is. Records older than `keptFrom` are left out. Every
    /// record's ids are checked against the tables first: a state that points past them is a
    /// `StateError`, never a crash later.
    func load(state path: String, keptFrom cutoff: Int64) throws -> Loaded {
        precondition(count == 0 && graph.keyCount == 0 && strings.paths.count == 0 && strings.values.count == 0,
                     "a state loads into an empty store")
        var paths = StringTable(), values = StringTable()
        var entries = [0, 0] // paths, values read
        var joined = false
        var loaded: Loaded?
        let chatKind = KeyFingerprints.chatVisitorKind(chatVisitorIsWebVisitor: graph.chatVisitorIsWebVisitor)
        func join() throws {
            guard !joined else { return }
            joined = true
            // Into empty tables, in order: the same ids, unless the state repeats a string.
            let pm = strings.paths.merge(paths), vm = strings.values.merge(values)
            guard entries == [paths.count, values.count], pm.indices.allSatisfy({ pm[$0] == UInt32($0) }),
                  vm.indices.allSatisfy({ vm[$0] == UInt32($0) }) else { throw StateError("\(path): a string is stored twice") }
            paths = StringTable()
            values = StringTable()
        }
        try StateFile.read(path: path) { [self] tag, b in
            switch tag {
            case .header:
                loaded = Loaded(header: try StateFile.decodeHeader(b, path: path))
                return 0
            case .paths, .values:
                let n = try StateFile.entries(b) { _, s in
                    _ = tag == .paths ? paths.intern(s.assumingMemoryBound(to: UInt8.self)) : values.intern(s.assumingMemoryBound(to: UInt8.self))
                }
                entries[tag == .paths ? 0 : 1] += n
                return n
            case .keys:
                try join()
                let n = try StateFile.entries(b, kinds: true) { kind, s in
                    guard Int(kind) < KeyKind.allCases.count else { throw StateError("\(path): a key of unknown kind \(kind)") }
                    let k = KeyKind.allCases[Int(kind)]
                    let slot = switch k { case .customer: 0; case .email: 1; case .visitor: 2; case .chatVisitor: 3 }
                    let bytes = s.assumingMemoryBound(to: UInt8.self)
                    let expected = Int32(graph.keyCount)
                    guard graph.key(slot: slot, KeyFingerprint(slot == 3 ? chatKind : k, bytes), text: { $0(bytes) }) == expected else {
                        throw StateError("\(path): a key is stored twice")
                    }
                }
                try graph.drainText { try keyText.append($0) }
                return n
            case .records:
                try join()
                let inputs = loaded!.header.inputs.count, keys = graph.keyCount
                let pathCount = UInt32(strings.paths.count), valueCount = UInt32(strings.values.count)
                // Runs of kept records, each appended as it is, with how many records it holds.
                var kept: [(range: Range<Int>, records: Int)] = []
                var dropped = 0, records = 0
                var bad: String?
                var at = 0
                while at < b.count, bad == nil {
                    guard let (start, end) = Varint.record(in: b, at: at) else { bad = "a record is cut short"; break }
                    guard let (slots, time) = TouchpointRecord.checked(UnsafeRawBufferPointer(rebasing: b[start..<end]), inputs: inputs,
                                                                       keys: keys, paths: Int(pathCount), values: Int(valueCount)) else {
                        bad = "a record is malformed or points past the tables"
                        break
                    }
                    records += 1
                    if time < cutoff {
                        dropped += 1
                    } else {
                        graph.link(slots)
                        noteTime(time)
                        if let last = kept.last, last.range.upperBound == at {
                            kept[kept.count - 1] = (last.range.lowerBound..<end, last.records + 1)
                        } else {
                            kept.append((at..<end, 1))
                        }
                    }
                    at = end
                }
                if let bad { throw StateError("\(path): \(bad)") }
                for k in kept { try appendLoaded(UnsafeRawBufferPointer(rebasing: b[k.range]), count: k.records) }
                loaded!.dropped += Int64(dropped)
                return records
            case .end:
                try join()
                return 0
            }
        }
        guard var loaded else { throw StateError("\(path): no header") }
        loaded.records = count
        return loaded
    }

    /// Writes the state: every record not dropped by `discard`, and the inputs of `header`
    /// (indexed as the run's inputs: `inputOrder[i]` is run input `i`'s position in the state's
    /// list, nil to leave its records out). With `compact`, only the strings and keys the kept
    /// records use, renumbered densely (every record rewritten); without, every string and key in
    /// the run's ids, and each record whose position stays the same copied as it is.
    func writeState(to file: OutputFile, header: StateHeader, inputOrder: [Int?], discard: Discard, compact: Bool) throws
        -> (StateHeader, droppedByAge: Int64) {
        var header = header
        var droppedByAge: Int64 = 0
        // Pass 1: which records stay, each input's touchpoints and times, and (compacting) what they use.
        var usedPaths = [Bool](repeating: !compact, count: strings.paths.count + 1)
        var usedValues = [Bool](repeating: !compact, count: strings.values.count + 1)
        var usedKeys = [Bool](repeating: !compact, count: graph.keyCount)
        for i in header.inputs.indices { header.inputs[i].touchpoints = 0; header.inputs[i].first = nil; header.inputs[i].last = nil }
        try store.forEachRecord { b in
            var r = TouchpointRecord.Reader(b)
            let h = r.header()
            // Compacting needs the whole row (its string ids); otherwise the time will do.
            let row = compact ? r.body(origin: h.origin).0 : nil
            let time = row?.time ?? r.time()
            if time < discard.before { droppedByAge += 1 }
            guard !discard.drops(h, time: time), let at = inputOrder[Int(h.origin.input)] else { return }
            if let row {
                for i in 0..<4 where h.slots[i] >= 0 { usedKeys[Int(h.slots[i])] = true }
                usedPaths[Int(row.path)] = true
                func use(_ v: UInt32) { usedValues[Int(v)] = true }
                use(row.actionName); use(row.referrer); use(row.source); use(row.medium); use(row.campaign); use(row.term)
                use(row.content); use(row.clickKind); use(row.clickValue); use(row.currency); use(row.conversation); use(row.eventID)
            }
            header.inputs[at].touchpoints += 1
            header.inputs[at].first = min(header.inputs[at].first ?? time, time)
            header.inputs[at].last = max(header.inputs[at].last ?? time, time)
        }
        // What was dropped and is still in the tables, for the next compaction (see `OpenState.update`).
        header.droppedSinceCompaction = compact ? 0 : (header.droppedSinceCompaction ?? 0) + droppedByAge
        func dense(_ used: [Bool], from first: Int) -> [UInt32] {
            var map = [UInt32](repeating: 0, count: used.count)
            var next = UInt32(first)
            for i in first..<used.count where used[i] { map[i] = next; next += 1 }
            return map
        }
        let pathMap = dense(usedPaths, from: 1), valueMap = dense(usedValues, from: 1)
        var keyMap = [Int32](repeating: -1, count: usedKeys.count)
        var nextKey: Int32 = 0
        for i in usedKeys.indices where usedKeys[i] { keyMap[i] = nextKey; nextKey += 1 }

        let w = StateFile.FrameWriter(file: file)
        var counts = (paths: 0, values: 0, keys: 0, records: 0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        w.payload = Array(try encoder.encode(header))
        try w.flush()
        func writeStrings(_ table: StringTable, _ used: [Bool], _ tag: StateFile.Tag) throws -> Int {
            try w.begin(tag)
            var n = 0
            for id in 1..<used.count where used[id] {
                table.withBytes(UInt32(id)) { s in
                    Varint.append(UInt64(s.count), to: &w.payload)
                    w.payload.append(contentsOf: s)
                }
                n += 1
                try w.entryAdded()
            }
            return n
        }
        counts.paths = try writeStrings(strings.paths, usedPaths, .paths)
        counts.values = try writeStrings(strings.values, usedValues, .values)
        try w.begin(.keys)
        try graph.drainText { try keyText.append($0) }
        var id = 0
        try keyText.forEachRecord { text in
            defer { id += 1 }
            guard usedKeys[id] else { return }
            w.payload.append(UInt8(KeyKind.allCases.firstIndex(of: graph.kind(Int32(id)))!))
            Varint.append(UInt64(text.count), to: &w.payload)
            w.payload.append(contentsOf: text)
            counts.keys += 1
            try w.entryAdded()
        }
        try w.begin(.records)
        try store.forEachRecord { b in
            var r = TouchpointRecord.Reader(b)
            var h = r.header()
            var peek = r
            guard !discard.drops(h, time: peek.time()), let at = inputOrder[Int(h.origin.input)] else { return }
            counts.records += 1
            if !compact, at == Int(h.origin.input) {
                Varint.append(UInt64(b.count), to: &w.payload) // in place: as it is
                w.payload.append(contentsOf: b)
                try w.entryAdded()
                return
            }
            var (row, rest) = r.body(origin: h.origin)
            func key(_ k: Int32) -> Int32 { k < 0 ? -1 : keyMap[Int(k)] }
            h.slots = KeySlots(key(h.slots.customer), key(h.slots.email), key(h.slots.visitor), key(h.slots.chatVisitor))
            h.origin.input = Int32(at)
            h.member = 0
            row.input = h.origin.input
            row.remap(paths: pathMap, values: valueMap)
            TouchpointRecord.append(header: h, row: row, rest: rest, to: &w.payload)
            try w.entryAdded()
        }
        try w.begin(.end)
        for n in [counts.paths, counts.values, counts.keys, counts.records] { Varint.append(UInt64(n), to: &w.payload) }
        try w.finish()
        return (header, droppedByAge)
    }
}

/// The state folder of one run: locked, its header read, its new file written by `update`.
final class OpenState {
    let dir: String
    let path: String
    let directory: OutputDirectory
    let lock: RunLock
    let header: StateHeader
    let exists: Bool

    /// Opens (or creates) the folder and takes its lock. Another run holding it is 75; a state
    /// that cannot be read is 65, one made with another pseudonym key 78, the output folder
    /// named as the state folder 64.
    init(dir: String, outDir: String, wait: Bool, keyCheck: String?, chatVisitorIsWebVisitor: Bool? = nil) throws(ReadFailure) {
        self.dir = dir
        path = (dir.hasSuffix("/") ? dir : dir + "/") + StateFile.fileName
        do {
            directory = try OutputDirectory(path: dir)
            // Compared by device and inode, as the output folder is kept out of the inputs: the state
            // folder exists by now, so an output folder that is the same place does too.
            var a = stat(), b = stat()
            if !outDir.isEmpty, stat(dir, &a) == 0, stat(outDir, &b) == 0, a.st_dev == b.st_dev, a.st_ino == b.st_ino {
                throw ReadFailure(status: .usage, messages: ["error: --state \(dir) is the output folder; the state needs a folder of its own"])
            }
            lock = try RunLock(directory: directory, wait: wait)
            try directory.removeStaleTemps()
        } catch let e as ReadFailure {
            throw e
        } catch {
            let status: ExitStatus = if case .held? = error as? RunLock.Failure { .tempFail } else { .cannotCreate }
            throw ReadFailure(status: status, messages: ["error: state \(dir): \(error)"])
        }
        exists = access(path, F_OK) == 0
        guard exists else {
            var h = StateHeader()
            h.keyCheck = keyCheck ?? ""
            h.chatVisitorIsWebVisitor = chatVisitorIsWebVisitor
            header = h
            return
        }
        do throws(StateError) { header = try StateFile.header(path: path) } catch {
            throw ReadFailure(status: .dataError, messages: ["error: state \(error); nothing was read or published. `journeys state verify \(dir)` says more; to start over, move the folder away"])
        }
        if let setting = chatVisitorIsWebVisitor, let made = header.chatVisitorIsWebVisitor, made != setting {
            throw ReadFailure(status: .config, messages: ["error: state \(dir) was made with identity.chat_visitor_is_web_visitor: \(made), and this pipeline says \(setting): chat visitor ids would be keys of another kind. Keep the setting, or start a new state folder"])
        }
        if let keyCheck, header.keyCheck != keyCheck {
            throw ReadFailure(status: .config, messages: ["error: state \(dir) was made with \(header.keyCheck.isEmpty ? "no pseudonym key" : "another pseudonym key"), and this run has \(keyCheck.isEmpty ? "none" : "another"): its emails and IPs would not match this run's. Use the key it was made with, or start a new state folder"])
        }
    }

    /// What the inputs of this run are compared with: each input read before, as its whole
    /// content and as a prefix ending with its last newline — whole only for the readers that take
    /// a header from their first lines (`csv`, `w3c`), whose rest read alone would have none.
    var candidates: [KnownContent] {
        var out: [KnownContent] = []
        var seen = Set<KnownContent>()
        for i in header.inputs {
            let headed = i.headed ?? false
            var these: [KnownContent] = []
            if let p = i.linesEnd, !headed { these.append(KnownContent(p, wholeOnly: false)) }
            if let w = i.content, w != i.linesEnd || headed { these.append(KnownContent(w, wholeOnly: true)) }
            for k in these where seen.insert(k).inserted { out.append(k) }
        }
        return out
    }

    /// Touchpoints of earlier runs that `load` put in the store, and those it left out as older
    /// than the retention.
    private(set) var stored: Int64 = 0
    private(set) var droppedAtLoad: Int64 = 0

    /// Loads the state into `store`, which must be empty (before anything is read): the state's
    /// inputs are the run's first inputs, the ones read now come after them (`inputBase`).
    func load(into store: TouchpointStore, retentionDays: Int) throws {
        store.inputBase = Int32(header.inputs.count)
        guard exists else { return }
        let newest = header.inputs.compactMap(\.last).max()
        let loaded = try store.load(state: path, keptFrom: newest.map { $0 - Int64(retentionDays) * 86_400_000 } ?? .min)
        stored = loaded.records
        droppedAtLoad = loaded.dropped
    }

    /// What `update` adds to the run.
    struct Update {
        var notes: [String]
        /// For `summary.json`.
        var statistics: StateStatistics
    }

    /// Sets the retention's cut in `discard` (from the newest touchpoint, the state's or this
    /// run's) and writes the new state, not yet renamed into place; the store holds the state's
    /// touchpoints (`load`) and this run's. A night that adds nothing and drops nothing leaves the
    /// file as it is.
    func update(store: TouchpointStore, summaries: [InputSummary], retentionDays: Int,
                discard: inout TouchpointStore.Discard) throws -> Update {
        var notes: [String] = []
        let old = header.inputs
        let run = header.runs + 1
        // This run's inputs that add something: touchpoints, or content to recognise later.
        var added: [StateInput] = []
        var order: [Int?] = old.indices.map { Optional($0) }
        var known: [String] = []
        for s in summaries {
            if let before = s.readBefore, let was = old.last(where: { $0.content == before || $0.linesEnd == before }) {
                if s.lines == 0 { known.append(s.name) } else {
                    let place = "run \(was.run)\(was.name == s.name ? "" : ", as \(was.name)")"
                    notes.append("note: \(s.name): its first \(before.lines) lines were read before (\(place)); read the \(s.lines) after them")
                }
            }
            let whole = s.openError == nil && !s.isDamaged && s.droppedPartialBytes == 0
            let truncated = s.openError == nil && s.gaps.isEmpty && s.damage?.kind == .truncated
            let content = whole ? s.content : nil
            let linesEnd = whole || truncated ? s.lineEnd : nil
            if s.openError != nil || s.content?.length == 0 || (s.lines == 0 && s.readBefore != nil) {
                order.append(nil)
                continue
            }
            order.append(old.count + added.count)
            added.append(StateInput(name: s.name, format: s.format, run: run, content: content, linesEnd: linesEnd,
                                    headed: s.readerTakesHeader ? true : nil))
        }
        if !known.isEmpty {
            notes.append("note: \(known.count) input\(known.count == 1 ? " was" : "s were") read before, whatever their names now, and hold nothing new: \(known.prefix(3).joined(separator: ", "))\(known.count > 3 ? ", …" : "")")
        }

        let newest = max(store.lastTime, old.compactMap(\.last).max() ?? .min)
        let cutoff = newest == .min ? Int64.min : newest - Int64(retentionDays) * 86_400_000
        discard.before = cutoff
        var h = header
        var droppedNow: Int64 = 0
        if added.isEmpty, droppedAtLoad == 0, cutoff <= store.firstTime, retentionDays == header.retentionDays {
            notes.append("note: state \(dir): nothing new; \(stored) touchpoints of \(old.count) input\(old.count == 1 ? "" : "s") from earlier runs, the state left as it was")
        } else {
            h.runs = run
            h.retentionDays = retentionDays
            h.writtenBy = JourneysVersion.string
            if droppedAtLoad > 0 || cutoff > store.firstTime { h.keptFrom = cutoff }
            h.inputs = old + added
            // Strings and keys of dropped touchpoints stay until a fifth of the touchpoints were
            // dropped since the last compaction; then only what the kept ones use is written.
            h.droppedSinceCompaction = (header.droppedSinceCompaction ?? 0) + droppedAtLoad
            let compact = h.droppedSinceCompaction! * 5 > max(1, store.count)
            try directory.write(StateFile.fileName, mode: 0o600) { file in
                (h, droppedNow) = try store.writeState(to: file, header: h, inputOrder: order, discard: discard, compact: compact)
            }
            let kept = h.keptFrom.map { ", kept from \(Timestamp.iso($0))" } ?? ""
            let dropped = droppedAtLoad + droppedNow
            notes.append("note: state \(dir): run \(run); \(stored) touchpoints of \(old.count) input\(old.count == 1 ? "" : "s") from earlier runs joined this run's\(dropped > 0 ? ", \(dropped) older than \(retentionDays) days dropped" : "")\(kept)")
        }
        return Update(notes: notes,
                      statistics: StateStatistics(dir: dir, run: h.runs, earlierTouchpoints: stored, inputsReadBefore: known.count, keptFrom: h.keptFrom))
    }
}

/// `journeys state info | verify | prune | export`: the state folder looked at and kept, outside a run.
public enum StateMaintenance {
    static func statePath(_ dir: String) -> String { (dir.hasSuffix("/") ? dir : dir + "/") + StateFile.fileName }

    /// A text description of the state: its header, then one line per input.
    public static func info(dir: String) throws(StateError) -> String {
        let path = statePath(dir)
        let h = try StateFile.header(path: path)
        var st = stat()
        let size = stat(path, &st) == 0 ? Int64(st.st_size) : 0
        let total = h.inputs.reduce(Int64(0)) { $0 + $1.touchpoints }
        let first = h.inputs.compactMap(\.first).min(), last = h.inputs.compactMap(\.last).max()
        var t = "state: \(path)\n"
        t += "format: \(h.format) version \(h.version), written by journeys \(h.writtenBy)\n"
        t += "size: \(size) bytes\n"
        t += "runs: \(h.runs)\n"
        t += "pseudonym key: \(h.keyCheck.isEmpty ? "none" : "set (check \(h.keyCheck))")\n"
        t += "retention: \(h.retentionDays) days\(h.keptFrom.map { "; touchpoints before \(Timestamp.iso($0)) were dropped" } ?? "")\n"
        t += "touchpoints: \(total)\(first.map { " from \(Timestamp.iso($0))" } ?? "")\(last.map { " to \(Timestamp.iso($0))" } ?? "")\n"
        t += "inputs: \(h.inputs.count)\n"
        for i in h.inputs {
            let span = i.first.map { " \(Timestamp.iso($0)) to \(Timestamp.iso(i.last!))" } ?? ""
            let content = i.content.map { "\($0.lines) lines, \($0.length) bytes" } ?? "damaged: not recognised again"
            t += "  run \(i.run): \(i.name) (\(i.format ?? "no format"); \(content)): \(i.touchpoints) touchpoints\(span)\n"
        }
        return t
    }

    /// Reads the whole state as a run would, checking every frame's CRC, the counts and every
    /// record's references. Returns a one-line verdict.
    public static func verify(dir: String, config: JourneyConfig = JourneyConfig()) throws -> String {
        let path = statePath(dir)
        let scratch = try scratchFolder()
        defer { rmdir(scratch) }
        let store = TouchpointStore(config: config, directory: scratch, memoryLimit: RunJob.defaultMemoryLimit)
        let loaded = try store.load(state: path, keptFrom: .min)
        let listed = loaded.header.inputs.reduce(Int64(0)) { $0 + $1.touchpoints }
        guard listed == loaded.records else {
            throw StateError("\(path): the header lists \(listed) touchpoints, the file holds \(loaded.records)")
        }
        return "ok: \(path): \(loaded.records) touchpoints of \(loaded.header.inputs.count) inputs, \(store.graph.keyCount) identity keys, \(loaded.header.runs) runs"
    }

    /// Drops the touchpoints before `cutoff` (UTC ms), under the folder's lock; the inputs stay
    /// known. Returns how many were dropped.
    public static func prune(dir: String, before cutoff: Int64, config: JourneyConfig = JourneyConfig(), wait: Bool) throws -> String {
        let open: OpenState
        do throws(ReadFailure) { open = try OpenState(dir: dir, outDir: "", wait: wait, keyCheck: nil) } catch {
            throw StateError(error.messages.joined(separator: "; ").replacingOccurrences(of: "error: state ", with: ""))
        }
        _ = open.lock
        let store = TouchpointStore(config: config, directory: dir, memoryLimit: RunJob.defaultMemoryLimit)
        let loaded = try store.load(state: open.path, keptFrom: cutoff)
        var h = loaded.header
        h.keptFrom = max(h.keptFrom ?? .min, cutoff)
        try open.directory.write(StateFile.fileName, mode: 0o600) { file in
            h = try store.writeState(to: file, header: h, inputOrder: h.inputs.indices.map { $0 }, discard: .init(), compact: true).0
        }
        try open.directory.commit()
        return "pruned \(open.path): dropped \(loaded.dropped) touchpoints before \(Timestamp.iso(cutoff)), kept \(loaded.records)"
    }

    /// Every touchpoint of the state as a JSON line, in stored order: input name, line, time,
    /// channel, action, path, referrer host, campaign fields, click id, status, device, value,
    /// currency, score, conversation, event id and identity keys (as the reports hold them:
    /// emails and IPs pseudonymised).
    public static func export(dir: String, config: JourneyConfig = JourneyConfig(), to sink: ([UInt8]) throws -> Void) throws {
        let path = statePath(dir)
        let scratch = try scratchFolder()
        defer { rmdir(scratch) }
        let store = TouchpointStore(config: config, directory: scratch, memoryLimit: RunJob.defaultMemoryLimit)
        let loaded = try store.load(state: path, keptFrom: .min)
        try store.graph.drainText { try store.keyText.append($0) }
        var keys: [String] = []
        try store.keyText.forEachRecord { keys.append(String(decoding: $0, as: UTF8.self)) }
        let names = loaded.header.inputs.map(\.name)
        var o: [UInt8] = []
        func field(_ name: String, _ value: String?) {
            guard let value else { return }
            o += Array(",\"\(name)\":".utf8)
            JSONText.appendString(value, to: &o)
        }
        try store.store.forEachRecord { b in
            var r = TouchpointRecord.Reader(b)
            let h = r.header()
            let (row, _) = r.body(origin: h.origin)
            let t = row.touchpoint(store.strings)
            o += Array("{\"input\":".utf8)
            JSONText.appendString(names[Int(h.origin.input)], to: &o)
            o += Array(",\"line\":\(h.origin.line),\"time\":\"\(Timestamp.iso(row.time))\"".utf8)
            field("channel", t.channel.rawValue)
            field("action", t.action.name)
            field("path", t.path)
            field("referrer_host", t.referrerHost)
            field("utm_source", t.campaign.source); field("utm_medium", t.campaign.medium); field("utm_campaign", t.campaign.name)
            field("utm_term", t.campaign.term); field("utm_content", t.campaign.content)
            field("click_id_kind", t.clickID?.kind); field("click_id", t.clickID?.value)
            if t.status != 0 { o += Array(",\"status\":\(t.status)".utf8) }
            field("device", t.device.rawValue)
            if let v = t.value { o += Array(",\"value\":\(v)".utf8) }
            field("currency", t.currency)
            if let s = t.score { o += Array(",\"score\":\(s)".utf8) }
            field("conversation", t.conversation)
            field("event_id", t.eventID)
            for (i, kind) in ["customer", "email", "visitor", "chat_visitor"].enumerated() where h.slots[i] >= 0 {
                field(kind, keys[Int(h.slots[i])])
            }
            o += Array("}\n".utf8)
            if o.count >= 1 << 20 { try sink(o); o.removeAll(keepingCapacity: true) }
        }
        try sink(o)
    }

    /// An empty folder for a store's spill files (`verify` and `export` read, never write, the state folder).
    static func scratchFolder() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/journeys-state-XXXXXX").utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw StateError("cannot make a temporary folder: \(String(cString: strerror(errno)))")
        }
        return String(cString: p)
    }
}
