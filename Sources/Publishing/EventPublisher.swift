import Model

/// What a driver publishes into, whichever sink is behind it (in-process, NDJSON file, NATS):
/// replay and the live collector pick one by flag and drive it the same way.
public protocol EventPublisher: AnyObject {
    /// Encodes and publishes one event; `now` is the driver's clock (live NATS uses its own).
    func publish(_ event: PublishableEvent, at now: Instant)
    /// Waits until every accepted message is stored or counted lost; true if all settled in time.
    func flush(timeout: Nanoseconds) -> Bool
    var stats: PublisherCore.Stats { get }
    /// Flushes and releases the sink (closes files and connections).
    func close() throws
}
