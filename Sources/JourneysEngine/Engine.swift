import Dispatch
import Foundation

/// Where all of the work's concurrency lives. Readers, stitching, journey rules and reports are
/// single-threaded code; the engine runs them on several threads and hands their results back
/// in a fixed order, so no output depends on the thread count or on scheduling.
///
/// - `inOrder`: producers (one per input, on threads of their own) whose values, often made on
///   a `WorkerPool`, are consumed in order: every value of producer 0, then of 1, …
/// - `handOver`: a two-stage pipeline, one thread making values a bounded window ahead of the
///   calling thread that consumes them.
/// - `map`: a parallel map whose results come back in index order.
///
/// All three hand values over through `OrderedSlots`.
public enum Engine {
    /// Runs `producers` producers, at most `open` at a time, each on a thread of its own, and
    /// consumes their values on the calling thread in order: all of producer 0's in sequence
    /// order, then `finished(0, …)` with what it returned, then producer 1's, and so on.
    ///
    /// `produce(i, slots)` reserves, fills (from any thread, e.g. a `WorkerPool`'s) and returns
    /// once it has reserved its last value; each producer has its own slots with a window of
    /// `window` values, so memory is bounded by `open × window` values. When `consume` or
    /// `finished` throws, `cancel` is set and the error is rethrown at once, without waiting for
    /// the producers (one may be blocked reading its input, e.g. stdin): they must check
    /// `cancel` and stop, and a `reserve` returns nil once it is set.
    ///
    /// `produce` runs concurrently with the consumer and with other producers: it must only
    /// touch state of its own, or state that is safe to share.
    public static func inOrder<Element: Sendable, Done: Sendable>(
        producers: Int, open: Int, window: Int, cancel: Cancellation,
        produce: @escaping @Sendable (Int, OrderedSlots<Element>) -> Done,
        consume: (Int, Element) throws -> Void,
        finished: (Int, Done) throws -> Void) throws {
        var running: [(slots: OrderedSlots<Element>, thread: ProducerThread<Done>)] = []
        var finishedCount = 0
        func launch() {
            while running.count < producers, running.count - finishedCount < max(1, open) {
                let i = running.count
                let slots = OrderedSlots<Element>(window: window, cancel: cancel)
                running.append((slots, ProducerThread { defer { slots.close() }; return produce(i, slots) }))
            }
        }
        defer { cancel.set() } // on a throw, producers stop and release their threads
        for i in 0..<producers {
            launch()
            while let value = running[i].slots.next() { try consume(i, value) }
            let done = running[i].thread.wait()
            finishedCount += 1
            try finished(i, done)
        }
    }

    /// Makes `produce(0)`, `produce(1)`, … `produce(count - 1)` on a thread of its own, at most
    /// `window` values ahead of `consume`, which takes them in order on the calling thread.
    ///
    /// When `produce` throws, nothing more is produced and the error is rethrown here once the
    /// values before it were consumed. When `consume` throws, producing stops at the next value
    /// and the error is rethrown once the producing thread has finished, so nothing runs on
    /// after this returns.
    ///
    /// `produce` runs concurrently with `consume`: it must touch nothing `consume` touches (the
    /// caller vouches for that, hence no `@Sendable`).
    public static func handOver<T: Sendable>(_ count: Int, window: Int,
                                             produce: @escaping (Int) throws -> T,
                                             consume: (T) throws -> Void) throws {
        let cancel = Cancellation()
        let slots = OrderedSlots<Result<T, any Error>>(window: window, cancel: cancel)
        let producing = Unchecked(produce)
        let thread = ProducerThread {
            defer { slots.close() }
            for i in 0..<count {
                guard let seq = slots.reserve() else { return } // nil: consuming failed
                let result = Result { try producing.value(i) }
                slots.fill(seq, result)
                if case .failure = result { return }
            }
        }
        defer {
            cancel.set() // stops the producer at its next value if consuming failed
            thread.wait()
        }
        while let next = slots.next() { try consume(next.get()) }
    }

    /// `body(0)`, `body(1)`, … `body(count - 1)` on up to `threads` threads, in index order.
    ///
    /// Workers take runs of consecutive indices (up to 512, smaller when there are few, so
    /// the work spreads over every thread) and hand each run's results over through
    /// `OrderedSlots`; they are read back in order once all are done, so the result is the same
    /// for any thread count. With one thread (or one index) everything runs on the calling
    /// thread.
    public static func map<T: Sendable>(_ count: Int, threads: Int, _ body: @Sendable (Int) -> T) -> [T] {
        let workers = max(1, min(threads, count))
        if workers == 1 { return (0..<count).map(body) }
        let run = max(1, min(512, count / (workers * 8)))
        let runs = (count + run - 1) / run
        let slots = OrderedSlots<[T]>(window: runs, count: runs, cancel: Cancellation())
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let r = slots.reserve() {
                slots.fill(r, (r * run..<min(count, (r + 1) * run)).map(body))
            }
        }
        var out: [T] = []
        out.reserveCapacity(count)
        while let results = slots.next() { out.append(contentsOf: results) }
        return out
    }
}

/// At most `threads` tasks at a time on a concurrent queue: the parses of chunks, whose
/// producers wait here for a free place.
public final class WorkerPool: @unchecked Sendable {
    private let queue = DispatchQueue(label: "journeys.work", attributes: .concurrent)
    private let gate: DispatchSemaphore

    public init(threads: Int) { gate = DispatchSemaphore(value: max(1, threads)) }

    /// Runs `body` on the pool once a place is free (blocks the caller until then).
    public func async(_ body: @escaping @Sendable () -> Void) {
        gate.wait()
        queue.async {
            body()
            self.gate.signal()
        }
    }
}

/// Idle copies of a value that workers take and give back, e.g. readers whose caches should
/// stay warm from one chunk to the next. Which copy a worker gets must not change its result.
public final class IdlePool<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Value] = []

    public init() {}

    /// An idle copy, or `make()` when there is none.
    public func take(or make: () -> Value) -> Value {
        lock.lock()
        let v = idle.popLast()
        lock.unlock()
        return v ?? make()
    }

    public func give(_ v: Value) {
        lock.lock()
        idle.append(v)
        lock.unlock()
    }
}

/// A thread running one producer; `wait` returns what it returned.
final class ProducerThread<Done>: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    /// Written by the thread before `finished` is signalled, read after.
    private var done: Done?

    init(_ body: @escaping @Sendable () -> Done) {
        Thread.detachNewThread {
            self.done = body()
            self.finished.signal()
        }
    }

    /// Waits for the producer to return (once).
    @discardableResult
    func wait() -> Done {
        finished.wait()
        return done!
    }
}

/// A value handed to another thread whose safety the caller has reasoned about.
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
