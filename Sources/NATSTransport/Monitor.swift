#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with two condition variables: `work` wakes the publisher thread, `room` wakes
/// producers waiting for buffer space and callers of `flush`.
final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let workCondition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let roomCondition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(workCondition, nil)
        pthread_cond_init(roomCondition, nil)
    }

    deinit {
        pthread_cond_destroy(workCondition)
        pthread_cond_destroy(roomCondition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        workCondition.deallocate()
        roomCondition.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }

    func signalWork() { pthread_cond_signal(workCondition) }
    func broadcastRoom() { pthread_cond_broadcast(roomCondition) }

    /// Waits (lock held) until signalled or `nanoseconds` pass.
    func waitWork(nanoseconds: Int64) { timedWait(workCondition, nanoseconds) }
    func waitRoom(nanoseconds: Int64) { timedWait(roomCondition, nanoseconds) }

    private func timedWait(_ condition: UnsafeMutablePointer<pthread_cond_t>, _ nanoseconds: Int64) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let total = Int64(ts.tv_nsec) + nanoseconds
        ts.tv_sec += Int(total / 1_000_000_000)
        ts.tv_nsec = Int(total % 1_000_000_000)
        pthread_cond_timedwait(condition, mutex, &ts)
    }
}

/// Monotonic nanoseconds: the live driver's clock for the core (only differences matter there).
func monotonicNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}
