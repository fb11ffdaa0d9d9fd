/// One encoded message, ready for any sink: subject, dedup id and JSON payload.
///
/// All three live in one allocation, `subject NUL id NUL payload`, so encoding a message costs
/// one heap block and the NATS driver passes C strings without copying.
public struct OutboundMessage: Hashable, Sendable {
    /// `subject`, 0, `id`, 0, payload.
    public let storage: [UInt8]
    @usableFromInline let subjectCount: Int
    @usableFromInline let idCount: Int

    public init(subject: String, id: String, payload: [UInt8]) {
        var s = [UInt8]()
        s.reserveCapacity(subject.utf8.count + id.utf8.count + payload.count + 2)
        s.append(contentsOf: subject.utf8)
        s.append(0)
        s.append(contentsOf: id.utf8)
        s.append(0)
        s.append(contentsOf: payload)
        self.init(storage: s, subjectCount: subject.utf8.count, idCount: id.utf8.count)
    }

    /// Wraps bytes laid out as `subject NUL id NUL payload`; nil if they are not.
    public init?(storage: [UInt8]) {
        guard let first = storage.firstIndex(of: 0), let second = storage[(first + 1)...].firstIndex(of: 0) else { return nil }
        self.init(storage: storage, subjectCount: first, idCount: second - first - 1)
    }

    init(storage: [UInt8], subjectCount: Int, idCount: Int) {
        self.storage = storage
        self.subjectCount = subjectCount
        self.idCount = idCount
    }

    public var subject: String { String(decoding: storage[0..<subjectCount], as: UTF8.self) }
    /// The `Nats-Msg-Id` header value.
    public var id: String { String(decoding: storage[(subjectCount + 1)..<(subjectCount + 1 + idCount)], as: UTF8.self) }
    public var payload: ArraySlice<UInt8> { storage[payloadStart...] }
    @inlinable var payloadStart: Int { subjectCount &+ idCount &+ 2 }
    /// `payload.count` without making the slice (inlinable: drivers count it per message).
    @inlinable public var payloadCount: Int { storage.count &- payloadStart }

    /// Bytes held in memory, for buffer accounting.
    public var size: Int { storage.count }

    /// NUL-terminated subject and id plus the payload, without copying.
    public func withParts<R>(
        _ body: (_ subject: UnsafePointer<CChar>, _ id: UnsafePointer<CChar>, _ payload: UnsafeBufferPointer<UInt8>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress!
            return try base.withMemoryRebound(to: CChar.self, capacity: buf.count) { chars in
                try body(
                    chars, chars + subjectCount + 1,
                    UnsafeBufferPointer(start: base + payloadStart, count: buf.count - payloadStart))
            }
        }
    }
}
