import Model

/// Where `JSONScanner.levels` puts the levels it reads: every level (an array), or only what a
/// caller needs, such as the best level of OKX's `bbo-tbt` (which used to fill two arrays, allocated
/// and freed per frame, to keep their first elements).
public protocol BookLevelSink {
    mutating func appendLevel(_ level: BookLevel)
}

extension Array: BookLevelSink where Element == BookLevel {
    @inlinable
    public mutating func appendLevel(_ level: BookLevel) {
        if capacity == 0 { reserveCapacity(8) }
        append(level)
    }
}

/// Keeps the first level read and nothing else.
public struct FirstBookLevel: BookLevelSink, Sendable {
    public var level: BookLevel?

    @inlinable
    public init() {}

    @inlinable
    public mutating func appendLevel(_ level: BookLevel) {
        if self.level == nil { self.level = level }
    }
}
