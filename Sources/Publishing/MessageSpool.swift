/// Where the publisher overflows when its memory buffer is full: a FIFO of encoded messages.
///
/// The core only appends and takes from the front, so messages leave in the order they came.
/// The live driver plugs in a disk spool; the simulation uses `InMemorySpool`.
public protocol MessageSpool: AnyObject {
    /// Messages held.
    var count: Int { get }
    /// Appends at the back; throws `.full` when the spool's own bound is hit.
    func append(_ message: OutboundMessage) throws(SpoolError)
    /// Removes and returns up to `limit` messages from the front, oldest first.
    func removeFirst(upTo limit: Int) throws(SpoolError) -> [OutboundMessage]
}

public enum SpoolError: Error, Hashable, Sendable {
    /// The configured bound (messages or bytes) is reached.
    case full(limit: Int)
    /// Writing or reading the spool failed; `path` and `detail` say where and what.
    case io(path: String, detail: String)
    /// Spooled data could not be read back (for example a damaged frame); `lost` messages are gone.
    case corrupt(path: String, offset: Int, lost: Int)
}

/// A bounded in-memory spool: deterministic, for the simulation and tests.
public final class InMemorySpool: MessageSpool {
    public let limit: Int
    private var items = RingBuffer<OutboundMessage>()

    public init(limit: Int) {
        self.limit = limit
    }

    public var count: Int { items.count }

    public func append(_ message: OutboundMessage) throws(SpoolError) {
        guard items.count < limit else { throw .full(limit: limit) }
        items.append(message)
    }

    public func removeFirst(upTo limit: Int) throws(SpoolError) -> [OutboundMessage] {
        var out = [OutboundMessage]()
        let n = min(limit, items.count)
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(items.removeFirst()) }
        return out
    }
}
