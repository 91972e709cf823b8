import Foundation
@testable import JourneysEngine
import Testing

/// A value shared by test threads, behind a lock.
final class Shared<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func update<R>(_ body: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return body(&value) }
    var get: T { update { $0 } }
}

/// Microseconds of sleep that differ from index to index, so that work finishes out of order.
func jitter(_ i: Int) -> UInt32 { UInt32((i &* 7919) % 13) * 50 }

/// Waits up to `seconds` for `condition`; whether it came true.
func eventually(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let end = Date(timeIntervalSinceNow: seconds)
    while Date() < end {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}

/// Serialized: the tests time their waits, so they should not compete with each other for the
/// thread pool.
@Suite(.serialized) struct EngineTests {
    @Test func mapGivesResultsInIndexOrderWhateverTheThreadCount() {
        let expected = (0..<3000).map { $0 * 3 + 1 }
        for threads in [1, 2, 3, 8, 64] {
            let got = Engine.map(3000, threads: threads) { i -> Int in
                if i % 7 == 0 { usleep(jitter(i)) }
                return i * 3 + 1
            }
            #expect(got == expected, "threads \(threads)")
        }
        #expect(Engine.map(0, threads: 4) { $0 }.isEmpty)
        #expect(Engine.map(1, threads: 4) { $0 + 5 } == [5])
    }

    /// Many producers fill out of order; the consumer gets every value once, in sequence order.
    @Test func slotsHandValuesOverInOrderUnderManyThreads() {
        let n = 2000
        let slots = OrderedSlots<Int>(window: 16, cancel: Cancellation())
        let pool = WorkerPool(threads: 8)
        Thread.detachNewThread {
            for _ in 0..<n {
                guard let seq = slots.reserve() else { return }
                pool.async {
                    usleep(jitter(seq))
                    slots.fill(seq, seq * 2)
                }
            }
            slots.close()
        }
        var got: [Int] = []
        while let v = slots.next() { got.append(v) }
        #expect(got == (0..<n).map { $0 * 2 })
    }

    /// A producer runs at most `window` values ahead of the consumer.
    @Test func slotsBoundTheProducerByTheWindow() {
        let slots = OrderedSlots<Int>(window: 3, cancel: Cancellation())
        let reserved = Shared(0)
        Thread.detachNewThread {
            for _ in 0..<10 {
                guard let seq = slots.reserve() else { return }
                reserved.update { $0 += 1 }
                slots.fill(seq, seq)
            }
            slots.close()
        }
        #expect(eventually { reserved.get == 3 })
        usleep(200_000)
        #expect(reserved.get == 3) // not one more while nothing is taken
        #expect(slots.next() == 0)
        #expect(eventually { reserved.get == 4 })
        usleep(200_000)
        #expect(reserved.get == 4)
        var rest: [Int] = []
        while let v = slots.next() { rest.append(v) }
        #expect(rest == Array(1..<10))
    }

    /// A producer waiting for room in the window gets nil once the scan is cancelled.
    @Test func cancellationStopsAWaitingProducer() {
        let cancel = Cancellation()
        let slots = OrderedSlots<Int>(window: 2, cancel: cancel)
        let stopped = Shared(false)
        Thread.detachNewThread {
            while let seq = slots.reserve() { slots.fill(seq, seq) }
            stopped.update { $0 = true }
        }
        #expect(slots.next() == 0)
        usleep(100_000)
        #expect(!stopped.get) // blocked on the window, not stopped
        cancel.set()
        #expect(eventually { stopped.get })
    }

    /// `inOrder` consumes every producer's values in order, then its `finished`, producer by
    /// producer, however the pool interleaves them.
    @Test func inOrderConsumesProducersOneAfterAnother() throws {
        let pool = WorkerPool(threads: 4)
        var consumed: [String] = []
        try Engine.inOrder(producers: 6, open: 3, window: 4, cancel: Cancellation(),
                           produce: { (p: Int, slots: OrderedSlots<String>) -> Int in
                               for k in 0..<40 {
                                   guard let seq = slots.reserve() else { break }
                                   pool.async { usleep(jitter(p * 40 + k)); slots.fill(seq, "\(p).\(k)") }
                               }
                               return p * 10
                           },
                           consume: { p, v in consumed.append("\(p):\(v)") },
                           finished: { p, done in consumed.append("done \(p) \(done)") })
        let expected = (0..<6).flatMap { p in (0..<40).map { "\(p):\(p).\($0)" } + ["done \(p) \(p * 10)"] }
        #expect(consumed == expected)
    }

    /// When the consumer throws, `inOrder` rethrows and its producers stop.
    @Test func inOrderStopsProducersWhenTheConsumerFails() {
        struct Stop: Error {}
        let stopped = Shared(0)
        let cancel = Cancellation()
        #expect(throws: Stop.self) {
            try Engine.inOrder(producers: 3, open: 3, window: 2, cancel: cancel,
                               produce: { (_: Int, slots: OrderedSlots<Int>) in
                                   while let seq = slots.reserve() { slots.fill(seq, seq) } // endless until cancelled
                                   stopped.update { $0 += 1 }
                               },
                               consume: { _, v in if v == 5 { throw Stop() } },
                               finished: { _, _ in })
        }
        #expect(cancel.isSet)
        #expect(eventually { stopped.get == 3 })
    }

    /// `handOver` consumes in order; a producer's error arrives after the values before it, and
    /// nothing more is produced after it.
    @Test func handOverRethrowsTheProducersErrorInOrder() {
        struct Bad: Error {}
        let produced = Shared(0)
        var consumed: [Int] = []
        #expect(throws: Bad.self) {
            try Engine.handOver(100, window: 1, produce: { i in
                produced.update { $0 += 1 }
                if i == 3 { throw Bad() }
                return i
            }) { consumed.append($0) }
        }
        #expect(consumed == [0, 1, 2])
        #expect(produced.get == 4)
    }

    /// When the consumer throws, `handOver` stops the producer and returns only once it has
    /// finished the value it was making.
    @Test func handOverStopsTheProducerWhenTheConsumerFails() {
        struct Stop: Error {}
        let produced = Shared(0)
        #expect(throws: Stop.self) {
            try Engine.handOver(1000, window: 1, produce: { i in
                usleep(50_000)
                produced.update { $0 += 1 }
                return i
            }) { _ in throw Stop() }
        }
        // Value 0 was consumed; value 1 was being made (the window allows one ahead) and is
        // finished; no third is started.
        #expect(produced.get == 2)
        usleep(300_000)
        #expect(produced.get == 2)
    }
}
