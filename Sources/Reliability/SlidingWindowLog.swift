/// Amounts stamped with a time, oldest first, from which old entries expire: the common core of the
/// rate limiter, the retry budget and the breaker's failure window. Times must be appended in
/// non-decreasing order (callers clamp their clocks).
struct SlidingWindowLog: Sendable {
    private var times: [Int64] = []
    private var amounts: [Int] = []
    private var head = 0
    /// Sum of the amounts still in the log.
    private(set) var total = 0

    var count: Int { times.count - head }

    mutating func add(_ amount: Int, at time: Int64) {
        times.append(time)
        amounts.append(amount)
        total += amount
    }

    /// Drops entries stamped at or before `horizon`.
    mutating func expire(through horizon: Int64) {
        while head < times.count, times[head] <= horizon {
            total -= amounts[head]
            head += 1
        }
        if head >= 1024, head * 2 >= times.count {
            times.removeFirst(head)
            amounts.removeFirst(head)
            head = 0
        }
    }

    /// The time of the entry whose expiry, with all older ones, removes at least `amount`;
    /// nil if the whole log holds less than that.
    func timeFreeing(_ amount: Int) -> Int64? {
        var freed = 0
        var index = head
        while index < times.count {
            freed += amounts[index]
            if freed >= amount { return times[index] }
            index += 1
        }
        return nil
    }

    mutating func removeAll() {
        times.removeAll(keepingCapacity: true)
        amounts.removeAll(keepingCapacity: true)
        head = 0
        total = 0
    }
}
