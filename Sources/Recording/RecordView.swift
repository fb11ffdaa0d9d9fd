/// A record borrowed from the reader's decompressed frame buffer: reading it allocates nothing.
///
/// Valid only inside the closure it is passed to (the buffer is reused for the next frame); copy what
/// you need, or call `makeRecord()` for an owned `Record`. The frame was validated before any view
/// of it is handed out, so the accessors need no error paths.
public struct RecordView {
    @usableFromInline let base: UnsafeRawPointer
    /// Total encoded size of the record in bytes.
    public let size: Int
    public let kind: RecordKind

    @inlinable
    init(base: UnsafeRawPointer, size: Int, kind: RecordKind) {
        self.base = base
        self.size = size
        self.kind = kind
    }

    @inlinable public var stream: UInt32 { base.loadLittleEndian(at: RecordLayout.streamOffset, as: UInt32.self) }
    @inlinable public var wallNs: Int64 { base.loadLittleEndian(at: RecordLayout.wallOffset, as: Int64.self) }
    @inlinable public var monoNs: Int64 { base.loadLittleEndian(at: RecordLayout.monoOffset, as: Int64.self) }
    @inlinable public var isBinary: Bool { base.load(fromByteOffset: 5, as: UInt8.self) & 1 != 0 }

    @inlinable
    var metadataLength: Int { Int(base.loadLittleEndian(at: RecordLayout.metadataLengthOffset, as: UInt32.self)) }

    /// The payload bytes, borrowed.
    @inlinable
    public var payload: UnsafeRawBufferPointer {
        let start = RecordLayout.fixedSize + metadataLength
        return UnsafeRawBufferPointer(start: base + start, count: size - start)
    }

    /// The raw metadata TLV bytes (empty for plain websocket frames).
    public var metadata: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + RecordLayout.fixedSize, count: metadataLength)
    }

    /// Calls `body` with each metadata field's tag and value, in stored order.
    func forEachMetadataField(_ body: (UInt8, UnsafeRawBufferPointer) -> Void) {
        let bytes = metadata
        var offset = 0
        while offset + RecordLayout.tlvHeaderSize <= bytes.count {
            let tag = bytes[offset]
            let length = Int(bytes.baseAddress!.loadLittleEndian(at: offset + 1, as: UInt32.self))
            let value = UnsafeRawBufferPointer(start: bytes.baseAddress! + offset + RecordLayout.tlvHeaderSize, count: length)
            body(tag, value)
            offset += RecordLayout.tlvHeaderSize + length
        }
    }

    /// The first metadata field with `tag`, borrowed.
    func metadataField(_ tag: MetadataTag) -> UnsafeRawBufferPointer? {
        guard metadataLength > 0 else { return nil }
        var found: UnsafeRawBufferPointer?
        forEachMetadataField { t, value in
            if found == nil, t == tag.rawValue { found = value }
        }
        return found
    }

    /// The URL bytes (REST records and `connect`), borrowed.
    public var urlBytes: UnsafeRawBufferPointer? { metadataField(.url) }
    public var url: String? { urlBytes.map { String(decoding: $0, as: UTF8.self) } }
    public var method: String? { metadataField(.method).map { String(decoding: $0, as: UTF8.self) } }
    public var status: UInt16? { metadataField(.status).map { $0.baseAddress!.loadLittleEndian(at: 0, as: UInt16.self) } }
    public var closeCode: UInt16? {
        metadataField(.closeCode).map { $0.baseAddress!.loadLittleEndian(at: 0, as: UInt16.self) }
    }
    public var closeReason: String? { metadataField(.closeReason).map { String(decoding: $0, as: UTF8.self) } }

    public var headers: [HTTPHeader] {
        guard metadataLength > 0 else { return [] }
        var result: [HTTPHeader] = []
        forEachMetadataField { tag, value in
            guard tag == MetadataTag.header.rawValue else { return }
            let nameLength = Int(value.baseAddress!.loadLittleEndian(at: 0, as: UInt16.self))
            let name = UnsafeRawBufferPointer(rebasing: value[2..<(2 + nameLength)])
            let text = UnsafeRawBufferPointer(rebasing: value[(2 + nameLength)...])
            result.append(
                HTTPHeader(name: String(decoding: name, as: UTF8.self), value: String(decoding: text, as: UTF8.self)))
        }
        return result
    }

    /// The value of the first recorded header named `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// An owned copy.
    public func makeRecord() -> Record {
        Record(
            kind: kind, stream: stream, wallNs: wallNs, monoNs: monoNs, isBinary: isBinary,
            url: url, method: method, status: status, headers: headers,
            closeCode: closeCode, closeReason: closeReason, payload: Array(payload))
    }
}
