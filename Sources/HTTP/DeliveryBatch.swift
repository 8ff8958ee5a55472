import Glibc

/// Answers given on one thread, held back and handed to each event loop in one delivery: a group
/// commit's completions answer dozens of requests from the writer's thread, and one mailbox append
/// and one wakeup per loop replace one of each per request. On a busy core each wakeup also lets the
/// loop preempt the answering thread, so per-request wakeups cost a context-switch pair each.
final class DeliveryBatch {
    private var byLoop: [(loop: EventLoop, tasks: [@Sendable (EventLoop) -> Void])] = []

    /// The batch collecting on this thread, if any.
    static var current: DeliveryBatch? {
        pthread_getspecific(key).map { Unmanaged<DeliveryBatch>.fromOpaque($0).takeUnretainedValue() }
    }

    // A thread-specific slot: completions call `Responder.respond`, which knows nothing of batches.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    func add(_ task: @escaping @Sendable (EventLoop) -> Void, for loop: EventLoop) {
        // Loops are few (one per --event-loops): a linear search beats hashing.
        if let index = byLoop.firstIndex(where: { $0.loop === loop }) {
            byLoop[index].tasks.append(task)
        } else {
            byLoop.append((loop, [task]))
        }
    }

    /// Runs `body`; what it hands to event loops from this thread reaches each loop in one delivery
    /// when it returns. Nested calls join the outer batch.
    static func collecting<T>(_ body: () throws -> T) rethrows -> T {
        if current != nil { return try body() }
        let batch = DeliveryBatch()
        pthread_setspecific(key, Unmanaged.passUnretained(batch).toOpaque())
        defer {
            pthread_setspecific(key, nil)
            for (loop, tasks) in batch.byLoop { loop.executeAll(tasks) }
        }
        return try body()
    }
}
