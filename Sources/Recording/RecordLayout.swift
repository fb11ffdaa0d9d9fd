/// The byte layout of one record inside a decompressed data frame (see docs/recording-format.md).
///
/// ```
/// offset size field
///  0     4    u32 total record length in bytes (>= 32, includes this field)
///  4     1    u8  kind code (RecordKind.code)
///  5     1    u8  flags: bit 0 = binary payload; other bits 0
///  6     2    u16 reserved, 0
///  8     4    u32 stream id
/// 12     8    i64 wall-clock ns since the Unix epoch
/// 20     8    i64 monotonic ns
/// 28     4    u32 metadata length M
/// 32     M    metadata: TLV fields (u8 tag, u32 length, bytes)
/// 32+M   ...  payload (the rest of the record)
/// ```
/// All integers little-endian.
@usableFromInline
enum RecordLayout {
    @usableFromInline static let fixedSize = 32
    @usableFromInline static let kindOffset = 4
    @usableFromInline static let flagsOffset = 5
    @usableFromInline static let streamOffset = 8
    @usableFromInline static let wallOffset = 12
    @usableFromInline static let monoOffset = 20
    @usableFromInline static let metadataLengthOffset = 28
    static let binaryFlag: UInt8 = 1
    /// Largest record (and largest decompressed frame) the format accepts: bounds reader memory on hostile input.
    static let maxRecordBytes = 1 << 30
    static let tlvHeaderSize = 5
}

/// Tags of the metadata fields. Readers skip tags they do not know, so v1 can gain fields.
@usableFromInline
enum MetadataTag: UInt8 {
    case url = 1
    case method = 2
    case status = 3  // u16
    case header = 4  // u16 name length, name, value
    case closeCode = 5  // u16
    case closeReason = 6
}

extension Record {
    /// Bytes this record occupies in a frame.
    var encodedSize: Int {
        var size = RecordLayout.fixedSize + payload.count
        if let url { size += RecordLayout.tlvHeaderSize + url.utf8.count }
        if let method { size += RecordLayout.tlvHeaderSize + method.utf8.count }
        if status != nil { size += RecordLayout.tlvHeaderSize + 2 }
        for header in headers { size += RecordLayout.tlvHeaderSize + 2 + header.name.utf8.count + header.value.utf8.count }
        if closeCode != nil { size += RecordLayout.tlvHeaderSize + 2 }
        if let closeReason { size += RecordLayout.tlvHeaderSize + closeReason.utf8.count }
        return size
    }

    /// Appends the encoded record; `encodedSize` must already be known to fit the format limit.
    func encode(into buffer: ByteBuffer, size: Int) {
        let start = buffer.count
        buffer.reserve(start + size)
        buffer.appendLittleEndian(UInt32(size))
        buffer.appendLittleEndian(kind.code)
        buffer.appendLittleEndian(isBinary ? RecordLayout.binaryFlag : 0)
        buffer.appendLittleEndian(UInt16(0))
        buffer.appendLittleEndian(stream)
        buffer.appendLittleEndian(wallNs)
        buffer.appendLittleEndian(monoNs)
        let metadataLengthAt = buffer.count
        buffer.appendLittleEndian(UInt32(0))
        let metadataStart = buffer.count
        if let url { appendText(.url, url, to: buffer) }
        if let method { appendText(.method, method, to: buffer) }
        if let status { appendUInt16(.status, status, to: buffer) }
        for header in headers {
            var name = header.name, value = header.value
            buffer.appendLittleEndian(MetadataTag.header.rawValue)
            buffer.appendLittleEndian(UInt32(2 + name.utf8.count + value.utf8.count))
            buffer.appendLittleEndian(UInt16(name.utf8.count))
            name.withUTF8 { buffer.append(UnsafeRawBufferPointer($0)) }
            value.withUTF8 { buffer.append(UnsafeRawBufferPointer($0)) }
        }
        if let closeCode { appendUInt16(.closeCode, closeCode, to: buffer) }
        if let closeReason { appendText(.closeReason, closeReason, to: buffer) }
        buffer.storeLittleEndian(UInt32(buffer.count - metadataStart), at: metadataLengthAt)
        payload.withUnsafeBytes { buffer.append($0) }
        assert(buffer.count - start == size)
    }

    private func appendText(_ tag: MetadataTag, _ text: String, to buffer: ByteBuffer) {
        var text = text
        buffer.appendLittleEndian(tag.rawValue)
        buffer.appendLittleEndian(UInt32(text.utf8.count))
        text.withUTF8 { buffer.append(UnsafeRawBufferPointer($0)) }
    }

    private func appendUInt16(_ tag: MetadataTag, _ value: UInt16, to buffer: ByteBuffer) {
        buffer.appendLittleEndian(tag.rawValue)
        buffer.appendLittleEndian(UInt32(2))
        buffer.appendLittleEndian(value)
    }
}

extension RecordLayout {
    /// Appends a record without metadata straight from borrowed payload bytes (the recorder's hot path).
    static func encodePlain(
        kind: RecordKind, stream: UInt32, wallNs: Int64, monoNs: Int64, isBinary: Bool,
        payload: UnsafeRawBufferPointer, into buffer: ByteBuffer
    ) {
        let size = fixedSize + payload.count
        buffer.reserve(buffer.count + size)
        let p = buffer.base + buffer.count
        p.storeBytes(of: UInt32(size).littleEndian, as: UInt32.self)
        p.storeBytes(of: kind.code, toByteOffset: kindOffset, as: UInt8.self)
        p.storeBytes(of: isBinary ? binaryFlag : 0, toByteOffset: flagsOffset, as: UInt8.self)
        p.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)
        p.storeBytes(of: stream.littleEndian, toByteOffset: streamOffset, as: UInt32.self)
        p.storeBytes(of: wallNs.littleEndian, toByteOffset: wallOffset, as: Int64.self)
        p.storeBytes(of: monoNs.littleEndian, toByteOffset: monoOffset, as: Int64.self)
        p.storeBytes(of: UInt32(0), toByteOffset: metadataLengthOffset, as: UInt32.self)
        if let src = payload.baseAddress, payload.count > 0 {
            (p + fixedSize).copyMemory(from: src, byteCount: payload.count)
        }
        buffer.count += size
    }

    /// Checks every record of a decompressed frame before any is handed out, so a frame is delivered
    /// whole or not at all. Returns the first problem found.
    static func validate(frame: UnsafeRawBufferPointer, expectedRecords: Int) -> CorruptionReason? {
        guard let base = frame.baseAddress else {
            return expectedRecords == 0 ? nil : .recordCountMismatch(expected: expectedRecords, found: 0)
        }
        var offset = 0
        var index = 0
        let end = frame.count
        while offset < end {
            let remaining = end - offset
            if remaining < fixedSize { return .malformedRecord(index: index, "\(remaining) trailing bytes, shorter than a record header") }
            let p = base + offset
            let size = Int(p.loadLittleEndian(at: 0, as: UInt32.self))
            if size < fixedSize || size > remaining {
                return .malformedRecord(index: index, "length \(size) outside 32...\(remaining)")
            }
            let code = p.load(fromByteOffset: kindOffset, as: UInt8.self)
            if code &- 1 >= 7 { return .malformedRecord(index: index, "unknown kind code \(code)") }
            let metadataLength = Int(p.loadLittleEndian(at: metadataLengthOffset, as: UInt32.self))
            if metadataLength > size - fixedSize {
                return .malformedRecord(index: index, "metadata length \(metadataLength) exceeds the record")
            }
            if metadataLength > 0,
                let problem = validateMetadata(UnsafeRawBufferPointer(start: p + fixedSize, count: metadataLength))
            {
                return .malformedRecord(index: index, problem)
            }
            offset += size
            index += 1
        }
        return index == expectedRecords ? nil : .recordCountMismatch(expected: expectedRecords, found: index)
    }

    private static func validateMetadata(_ bytes: UnsafeRawBufferPointer) -> String? {
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= tlvHeaderSize else { return "truncated metadata field" }
            let tag = bytes[offset]
            let length = Int(bytes.baseAddress!.loadLittleEndian(at: offset + 1, as: UInt32.self))
            guard length <= bytes.count - offset - tlvHeaderSize else { return "metadata field \(tag) overruns the metadata" }
            switch MetadataTag(rawValue: tag) {
            case .status?, .closeCode?:
                if length != 2 { return "metadata field \(tag) must be 2 bytes, is \(length)" }
            case .header?:
                if length < 2 { return "header field shorter than its name length" }
                let nameLength = Int(bytes.baseAddress!.loadLittleEndian(at: offset + tlvHeaderSize, as: UInt16.self))
                if nameLength > length - 2 { return "header name overruns its field" }
            default: break
            }
            offset += tlvHeaderSize + length
        }
        return nil
    }
}
