import Foundation

/// A flag that tells producers to stop (the consumer failed, e.g. its output pipe closed).
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false

    public init() {}

    public func set() { lock.lock(); flag = true; lock.unlock() }
    public var isSet: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}

/// The engine's one hand-over between threads: producers reserve sequence numbers in order,
/// fill them in any order, and one consumer takes the values back in sequence order.
///
/// At most `window` values are reserved and not yet taken, so producers run at most that far
/// ahead of the consumer and memory stays bounded. It carries one input's chunk results from
/// the parsing workers (`Engine.inOrder`), decoded partitions from the decoding thread (window
/// of one, `Engine.handOver`), and the chunks of a parallel map (`Engine.map`, whose workers
/// use `reserve` as their shared counter and whose results are taken once they all finished).
public final class OrderedSlots<Element: Sendable>: @unchecked Sendable {
    private let cond = NSCondition()
    private var filled: [Int: Element] = [:]
    private var reserved = 0
    private var taken = 0
    private var closed = false
    private let window: Int
    private let count: Int?
    private let cancel: Cancellation

    /// - Parameters:
    ///   - window: how many values may be reserved and not yet taken (at least 1).
    ///   - count: how many values there are, when known: `reserve` then returns nil past them
    ///     and `next` once they were all taken, without `close`.
    ///   - cancel: once set, `reserve` returns nil instead of waiting for the consumer.
    public init(window: Int, count: Int? = nil, cancel: Cancellation) {
        self.window = max(1, window)
        self.count = count
        self.cancel = cancel
    }

    /// Reserves the next sequence number; blocks while `window` values wait unconsumed.
    /// Returns nil once `count` numbers were reserved, or once cancelled while waiting (nobody
    /// will take more values).
    public func reserve() -> Int? {
        cond.lock()
        defer { cond.unlock() }
        if let count, reserved >= count { return nil }
        while reserved - taken >= window {
            if cancel.isSet { return nil }
            _ = cond.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
        reserved += 1
        return reserved - 1
    }

    /// Hands over the value of a reserved sequence number (each exactly once).
    public func fill(_ seq: Int, _ value: Element) {
        cond.lock()
        filled[seq] = value
        cond.broadcast()
        cond.unlock()
    }

    /// No more reservations will come.
    public func close() {
        cond.lock()
        closed = true
        cond.broadcast()
        cond.unlock()
    }

    /// The next value in sequence order (waiting for it to be filled), or nil when there are
    /// no more: closed or `count` taken, and every reserved number taken.
    public func next() -> Element? {
        cond.lock()
        defer { cond.unlock() }
        while true {
            if let v = filled.removeValue(forKey: taken) {
                taken += 1
                cond.broadcast()
                return v
            }
            if closed || count.map({ reserved >= $0 }) == true, taken >= reserved { return nil }
            cond.wait()
        }
    }
}
