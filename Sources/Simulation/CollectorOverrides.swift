import Model
import Stack

/// Collector settings a scenario may change so its fault bites within a short recording
/// (a 24 h rotation cannot happen in a two-minute sample unless the rotation age is shortened).
public struct CollectorOverrides: Sendable, Equatable {
    public var rotateAfter: Int64?
    public var staleAfter: Int64?
    public var publishedDepth: Int?
    public var restTimeout: Int64?
    public var ackTimeout: Int64?
    public var memoryLimitMessages: Int?

    public init() {}

    public func apply(to configuration: inout StackConfiguration) {
        if let v = rotateAfter { configuration.reliability.reconnect.rotateAfter = Nanoseconds(v) }
        if let v = staleAfter { configuration.reliability.staleAfter = Nanoseconds(v) }
        if let v = publishedDepth { configuration.books.publishedDepth = v }
        if let v = restTimeout { configuration.restTimeout = Nanoseconds(v) }
        if let v = ackTimeout { configuration.publisher.ackTimeout = Nanoseconds(v) }
        if let v = memoryLimitMessages {
            configuration.publisher.memoryLimitMessages = v
            configuration.publisher.maxInFlight = min(configuration.publisher.maxInFlight, v)
        }
    }
}
