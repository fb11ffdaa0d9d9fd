#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A destination that stores a message synchronously: returning without throwing is the ack.
/// (NATS acks asynchronously; its driver lives in NATSTransport.)
public protocol MessageSink {
    mutating func write(_ message: OutboundMessage) throws(SinkError)
    /// Flushes and releases what the sink holds (files); called once at the end.
    mutating func finish() throws(SinkError)
}

extension MessageSink {
    public mutating func finish() throws(SinkError) {}
}

public enum SinkError: Error, Hashable, Sendable {
    case io(path: String, errno: Int32)
}

/// Collects messages in memory, in publish order: the default for replay and tests.
public struct InProcessSink: MessageSink {
    public private(set) var messages: [OutboundMessage] = []

    public init() {}

    public mutating func write(_ message: OutboundMessage) throws(SinkError) {
        messages.append(message)
    }

    public mutating func removeAll() { messages.removeAll(keepingCapacity: true) }
}

/// Writes one JSON line per message: `{"subject":..,"id":..,"data":{...}}`.
public final class NDJSONFileSink: MessageSink {
    public let path: String
    private var file: UnsafeMutablePointer<FILE>?

    public init(path: String, append: Bool = false) throws(SinkError) {
        self.path = path
        guard let f = fopen(path, append ? "ab" : "wb") else { throw .io(path: path, errno: errno) }
        file = f
    }

    deinit { try? close() }

    public func write(_ message: OutboundMessage) throws(SinkError) {
        guard let file else { throw .io(path: path, errno: EBADF) }
        let line = Self.line(for: message)
        let written = line.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == line.count else { throw .io(path: path, errno: errno) }
    }

    /// The NDJSON line (with its newline) for one message.
    public static func line(for message: OutboundMessage) -> [UInt8] {
        JSONWriter.bytes(capacity: message.payload.count + 6 * (message.subject.utf8.count + message.id.utf8.count) + 48) { w in
            w.raw("{\"subject\":")
            w.string(message.subject)
            w.raw(",\"id\":")
            w.string(message.id)
            w.raw(",\"data\":")
            w.append(message.payload)
            w.raw("}\n")
        }
    }

    public func flush() throws(SinkError) {
        guard let file else { return }
        if fflush(file) != 0 { throw .io(path: path, errno: errno) }
    }

    public func finish() throws(SinkError) { try close() }

    public func close() throws(SinkError) {
        guard let f = file else { return }
        file = nil
        if fclose(f) != 0 { throw .io(path: path, errno: errno) }
    }
}
