#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Helpers every suite needs; `suite(...)` in Package.swift links this module into each one.

/// CPU time of the calling thread, ns. On the shared build machine wall time also counts other
/// processes' turns on the cores; rates over thread CPU time are the fairer figure there.
public func threadCPUNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Events per second from a count and a duration in ns.
public func perSecond(_ count: Int, _ ns: UInt64) -> Int { Int(Double(count) * 1e9 / Double(max(ns, 1))) }

/// MB/s (10^6 bytes per second) from a byte count and a duration in ns.
public func megabytesPerSecond(_ bytes: Int, _ ns: UInt64) -> Int { Int(Double(bytes) * 1e3 / Double(max(ns, 1))) }
