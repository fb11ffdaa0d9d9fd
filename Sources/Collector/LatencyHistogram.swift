/// Receive-to-publish latencies in log-linear buckets (16 per power of two, so a percentile is
/// within 1/16 of the true value): fixed memory, O(1) record, no allocation on the hot path.
public struct LatencyHistogram: Sendable, Equatable {
    static let subBuckets = 16
    static let subBits = 4
    /// Up to 2^40 ns (~18 min); larger values land in the last bucket.
    static let bucketCount = 41 * 16

    public private(set) var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var maxNanoseconds: Int64 = 0
    public private(set) var sumNanoseconds: Int64 = 0

    public init() { counts = [UInt64](repeating: 0, count: Self.bucketCount) }

    @inline(__always)
    static func bucket(_ ns: Int64) -> Int {
        let v = UInt64(max(0, ns))
        if v < UInt64(subBuckets) { return Int(v) }
        let exponent = 63 - v.leadingZeroBitCount  // >= subBits
        let mantissa = Int((v >> UInt64(exponent - subBits)) & UInt64(subBuckets - 1))
        return min(bucketCount - 1, (exponent - subBits + 1) * subBuckets + mantissa)
    }

    /// The largest value that falls into bucket `b` (percentiles report this upper edge).
    static func upperBound(_ b: Int) -> Int64 {
        if b < subBuckets { return Int64(b) }
        let exponent = b / subBuckets + subBits - 1
        let mantissa = Int64(b % subBuckets)
        let base = Int64(1) << Int64(exponent)
        return base + (mantissa + 1) * (base >> Int64(subBits)) - 1
    }

    @inline(__always)
    public mutating func record(_ ns: Int64) {
        counts[Self.bucket(ns)] &+= 1
        count &+= 1
        sumNanoseconds &+= max(0, ns)
        if ns > maxNanoseconds { maxNanoseconds = ns }
    }

    public mutating func merge(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] &+= other.counts[i] }
        count &+= other.count
        sumNanoseconds &+= other.sumNanoseconds
        maxNanoseconds = max(maxNanoseconds, other.maxNanoseconds)
    }

    /// The value at `fraction` (0...1) of the distribution, in nanoseconds; 0 when empty.
    public func percentile(_ fraction: Double) -> Int64 {
        guard count > 0 else { return 0 }
        let rank = max(1, UInt64((Double(count) * min(1, max(0, fraction))).rounded(.up)))
        var seen: UInt64 = 0
        for (b, c) in counts.enumerated() where c > 0 {
            seen += c
            if seen >= rank { return min(Self.upperBound(b), maxNanoseconds) }
        }
        return maxNanoseconds
    }
}
