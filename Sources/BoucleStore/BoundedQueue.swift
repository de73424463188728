import Foundation

/// A first-in first-out hand-over between threads, holding at most `capacity` elements: `put`
/// waits while it is full, `take` while it is empty. With a capacity of 0, `put` hands its
/// element over: it waits until a `take` has it. `close()` wakes every waiter: `put` then returns
/// false and drops its element, `take` returns nil once the queue is empty.
///
/// Used by the stages of an import (`DecodingPipeline`) and of a pull (`boucle sync` fetching,
/// decoding and merging pages at once), so that each stage runs ahead of the next by a bounded
/// amount of memory.
public final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var elements: [Element] = []
    private var closed = false
    private let capacity: Int

    public init(capacity: Int) {
        precondition(capacity >= 0, "a queue's capacity is 0 (a hand-over) or more")
        self.capacity = capacity
    }

    /// Appends `element`, waiting for room (with capacity 0, until a `take` has it); false (and
    /// nothing appended) once closed.
    @discardableResult
    public func put(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while elements.count >= max(capacity, 1) && !closed { condition.wait() }
        if closed { return false }
        elements.append(element)
        condition.broadcast()
        if capacity == 0 {
            while !elements.isEmpty && !closed { condition.wait() }
        }
        return true
    }

    /// The first element, waiting for one; nil when closed and empty.
    public func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while elements.isEmpty && !closed { condition.wait() }
        if elements.isEmpty { return nil }
        condition.broadcast()
        return elements.removeFirst()
    }

    /// The first element if there is one, without waiting.
    public func takeIfAny() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        if elements.isEmpty { return nil }
        condition.broadcast()
        return elements.removeFirst()
    }

    /// Stops the hand-over: waiting `put`s return false, `take`s drain what is left, then nil.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
