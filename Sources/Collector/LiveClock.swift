#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Model

/// The live edge's clocks. The stack gets wall time (what the recorder stores and replay reproduces);
/// latency is measured on the monotonic clock, which NTP steps cannot bend.
public enum LiveClock {
    @inline(__always)
    public static func now() -> Instant { Instant(nanoseconds: wallNanoseconds()) }

    @inline(__always)
    public static func wallNanoseconds() -> Int64 { read(CLOCK_REALTIME) }

    @inline(__always)
    public static func monotonicNanoseconds() -> Int64 { read(CLOCK_MONOTONIC) }

    @inline(__always)
    private static func read(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }

    /// Sleeps the calling driver thread (never the core).
    public static func sleep(nanoseconds ns: Int64) {
        var request = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
