import Foundation
import JourneysCore
import JourneysIO

/// An append-only sequence of length-prefixed records, held in memory until told to spill,
/// then in a temporary file.
///
/// The file is created next to the outputs (`directory`) without a name (`O_TMPFILE`; where the
/// file system has none, `mkstemp` and an unlink at once), so a run that is killed leaves nothing
/// behind, nothing is opened through a link someone planted in the folder, and its space returns
/// to the file system when the store is released. Writes go through a 1 MiB buffer and are checked (a full disk
/// is an error, never a short file).
final class SpillStore {
    /// In memory: blocks of whole records (fixed capacity, so growing never copies what is held).
    private var blocks: [[UInt8]] = []
    private var heldBytes = 0
    /// Spilled: the write buffer.
    private var buffer: [UInt8] = []
    private var fd: Int32 = -1
    private var fileSize: Int64 = 0
    private let directory: String
    private let bufferSize: Int
    private static let blockSize = 4 << 20

    /// `bufferSize`: bytes gathered before each write once spilled.
    init(directory: String, bufferSize: Int = 1 << 20) {
        self.directory = directory
        self.bufferSize = bufferSize
    }

    deinit { if fd >= 0 { close(fd) } }

    var isSpilled: Bool { fd >= 0 }
    /// Bytes stored (in memory and on disk).
    var size: Int64 { fileSize + Int64(heldBytes) + Int64(buffer.count) }

    /// Appends raw record bytes (one or more whole records).
    func append(_ b: [UInt8]) throws {
        try b.withUnsafeBytes { try append($0) }
    }

    func append(_ b: UnsafeRawBufferPointer) throws {
        if fd >= 0 {
            buffer.append(contentsOf: b)
            if buffer.count >= bufferSize { try flush() }
            return
        }
        if blocks.isEmpty || blocks[blocks.count - 1].capacity - blocks[blocks.count - 1].count < b.count {
            var block: [UInt8] = []
            block.reserveCapacity(max(Self.blockSize, b.count))
            blocks.append(block)
        }
        blocks[blocks.count - 1].append(contentsOf: b)
        heldBytes += b.count
    }

    /// Walks the records held in memory (not spilled), with a position for `record(at:)`.
    func forEachHeldRecord(_ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws {
        precondition(fd < 0, "the store was spilled")
        for (i, block) in blocks.enumerated() {
            try block.withUnsafeBytes { raw in
                _ = try Self.records(in: raw) { rec, prefix in try body(rec, i << 32 | prefix) }
            }
        }
    }

    /// Calls `body` with the record whose length prefix is at `position` (from `forEachHeldRecord`).
    func withRecord<R>(at position: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try blocks[position >> 32].withUnsafeBytes { raw in
            let (start, end) = Varint.record(in: raw, at: position & 0xFFFF_FFFF)!
            return try body(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
        }
    }

    /// Moves what is held in memory to a temporary file; later appends go there too.
    func spill() throws {
        guard fd < 0 else { return }
        let f = Inputs.unnamedFile(in: directory, name: "spill")
        guard f >= 0 else { throw SpillError("cannot create a temporary file in \(directory): \(String(cString: strerror(errno)))") }
        fd = f
        for i in blocks.indices {
            if let e = WriteAll.write(fd, blocks[i]) {
                throw SpillError("cannot write temporary data in \(directory): \(String(cString: strerror(e)))")
            }
            fileSize += Int64(blocks[i].count)
            blocks[i] = []
        }
        blocks = []
        heldBytes = 0
        buffer.reserveCapacity(bufferSize)
    }

    /// Frees the memory and the file.
    func release() {
        blocks = []
        heldBytes = 0
        buffer = []
        if fd >= 0 { close(fd); fd = -1 }
        fileSize = 0
    }

    /// Writes buffered bytes to the file.
    func flush() throws {
        guard fd >= 0, !buffer.isEmpty else { return }
        if let e = WriteAll.write(fd, buffer) {
            throw SpillError("cannot write temporary data in \(directory): \(String(cString: strerror(e)))")
        }
        fileSize += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Calls `body` with each record's bytes (without the length prefix), in order.
    func forEachRecord(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if fd < 0 {
            for block in blocks { _ = try block.withUnsafeBytes { try Self.records(in: $0) { rec, _ in try body(rec) } } }
            return
        }
        try flush()
        var block = [UInt8](repeating: 0, count: 4 << 20)
        var carry = 0 // bytes of an incomplete record at the start of `block`
        var offset: Int64 = 0
        while offset < fileSize || carry > 0 {
            if block.count - carry < 1 << 16 { block += [UInt8](repeating: 0, count: block.count) } // a record larger than the block
            let want = min(Int64(block.count - carry), fileSize - offset)
            var got = 0
            while got < Int(want) {
                let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + carry + got, Int(want) - got, off_t(offset) + off_t(got)) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw SpillError("cannot read temporary data back: \(n < 0 ? String(cString: strerror(errno)) : "end of file")") }
                got += n
            }
            offset += want
            let filled = carry + got
            let used = try block.withUnsafeBytes {
                try Self.records(in: UnsafeRawBufferPointer(rebasing: $0[0..<filled]), partial: offset < fileSize) { rec, _ in try body(rec) }
            }
            carry = filled - used
            if carry > 0 {
                guard offset < fileSize else { throw SpillError("temporary data ends inside a record") }
                block.withUnsafeMutableBytes { b in b.baseAddress!.copyMemory(from: b.baseAddress! + used, byteCount: carry) }
            }
        }
    }

    /// Walks the records in `b` (each with the offset of its length prefix); with `partial`,
    /// stops at an incomplete last record and returns how many bytes were used.
    @discardableResult
    private static func records(in b: UnsafeRawBufferPointer, partial: Bool = false,
                                _ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws -> Int {
        var at = 0
        while at < b.count {
            guard let (start, end) = Varint.record(in: b, at: at) else {
                if partial { return at }
                throw SpillError("temporary data ends inside a record")
            }
            try body(UnsafeRawBufferPointer(rebasing: b[start..<end]), at)
            at = end
        }
        return at
    }
}

struct SpillError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
