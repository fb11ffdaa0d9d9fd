/// A point in time as nanoseconds since the Unix epoch.
///
/// The core never reads a clock: drivers pass the current `Instant` in with every input, so the
/// same inputs give the same outputs under the live wall clock and the simulation's virtual clock.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    public static let zero = Instant(nanoseconds: 0)

    public static func milliseconds(_ ms: Int64) -> Instant { Instant(nanoseconds: ms &* 1_000_000) }
    public static func microseconds(_ us: Int64) -> Instant { Instant(nanoseconds: us &* 1_000) }

    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    @inlinable
    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    @inlinable
    public static func + (lhs: Instant, rhs: Nanoseconds) -> Instant {
        Instant(nanoseconds: lhs.nanoseconds &+ rhs.value)
    }

    @inlinable
    public static func - (lhs: Instant, rhs: Instant) -> Nanoseconds {
        Nanoseconds(lhs.nanoseconds &- rhs.nanoseconds)
    }

    public var description: String { "\(nanoseconds)ns" }
}

/// A span of time in nanoseconds; integer arithmetic keeps the core deterministic and fast.
public struct Nanoseconds: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: Int64

    @inlinable public init(_ value: Int64) { self.value = value }

    public static let zero = Nanoseconds(0)
    public static func microseconds(_ v: Int64) -> Nanoseconds { Nanoseconds(v &* 1_000) }
    public static func milliseconds(_ v: Int64) -> Nanoseconds { Nanoseconds(v &* 1_000_000) }
    public static func seconds(_ v: Int64) -> Nanoseconds { Nanoseconds(v &* 1_000_000_000) }
    public static func minutes(_ v: Int64) -> Nanoseconds { Nanoseconds(v &* 60_000_000_000) }
    public static func hours(_ v: Int64) -> Nanoseconds { Nanoseconds(v &* 3_600_000_000_000) }

    public var milliseconds: Double { Double(value) / 1_000_000 }

    @inlinable public static func < (lhs: Nanoseconds, rhs: Nanoseconds) -> Bool { lhs.value < rhs.value }
    @inlinable public static func + (lhs: Nanoseconds, rhs: Nanoseconds) -> Nanoseconds { Nanoseconds(lhs.value &+ rhs.value) }
    @inlinable public static func - (lhs: Nanoseconds, rhs: Nanoseconds) -> Nanoseconds { Nanoseconds(lhs.value &- rhs.value) }
    @inlinable public static func * (lhs: Nanoseconds, rhs: Int64) -> Nanoseconds { Nanoseconds(lhs.value &* rhs) }

    public var description: String { "\(value)ns" }
}
