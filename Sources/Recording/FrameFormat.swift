import Model

/// The frames a recording file is made of. The whole file is a valid zstd stream: metadata travels in
/// zstd *skippable frames* (magic 0x184D2A50...0x184D2A5F, then a u32 payload size), so `zstd -dc`
/// prints the raw records and ignores the rest. See docs/recording-format.md.
enum FrameFormat {
    /// Header: first frame of every file.
    static let headerMagic: UInt32 = 0x184D_2A50
    /// Frame info: precedes every data frame; lets the index be rebuilt without decompressing.
    static let frameInfoMagic: UInt32 = 0x184D_2A51
    /// Footer: the seek index, written by `close()`; its presence means the file ended cleanly.
    static let footerMagic: UInt32 = 0x184D_2A52
    /// Any skippable frame (low nibble free); readers skip kinds they do not know.
    static let skippableMask: UInt32 = 0xFFFF_FFF0
    static let skippableBase: UInt32 = 0x184D_2A50
    /// An ordinary zstd frame.
    static let zstdMagic: UInt32 = 0xFD2F_B528

    /// First bytes of the header payload.
    static let headerMagicText: [UInt8] = Array("MPRISMRC".utf8)
    /// Last 8 bytes of a cleanly closed file.
    static let footerEndMagic: [UInt8] = Array("MPRISMIX".utf8)

    static let skippableHeaderSize = 8
    /// Bound on a header payload, so a garbage size field cannot make the reader allocate gigabytes.
    static let maxHeaderPayload = 16 << 20
}

/// The 40-byte payload of a frame-info skippable frame.
///
/// ```
/// u32 record count, u32 decompressed size, u32 compressed size (of the zstd frame that follows),
/// i64 min wall ns, i64 max wall ns, u64 XXH64 of the zstd frame's bytes, u32 CRC32 of the previous 36 bytes
/// ```
/// The XXH64 covers the stored bytes, so damage that zstd would decode to the same content (padding
/// bits of an entropy table) is still caught.
struct FrameInfo: Equatable {
    var recordCount: UInt32
    var rawSize: UInt32
    var compressedSize: UInt32
    var minWallNs: Int64
    var maxWallNs: Int64
    /// XXH64 of the compressed zstd frame.
    var checksum: UInt64

    static let payloadSize = 40
    /// Skippable frame header plus payload.
    static let frameSize = FrameFormat.skippableHeaderSize + payloadSize

    /// Writes the whole skippable frame (48 bytes) at `p`.
    func store(at p: UnsafeMutableRawPointer) {
        p.storeBytes(of: FrameFormat.frameInfoMagic.littleEndian, as: UInt32.self)
        p.storeBytes(of: UInt32(Self.payloadSize).littleEndian, toByteOffset: 4, as: UInt32.self)
        let q = p + 8
        q.storeBytes(of: recordCount.littleEndian, as: UInt32.self)
        q.storeBytes(of: rawSize.littleEndian, toByteOffset: 4, as: UInt32.self)
        q.storeBytes(of: compressedSize.littleEndian, toByteOffset: 8, as: UInt32.self)
        q.storeBytes(of: minWallNs.littleEndian, toByteOffset: 12, as: Int64.self)
        q.storeBytes(of: maxWallNs.littleEndian, toByteOffset: 20, as: Int64.self)
        q.storeBytes(of: checksum.littleEndian, toByteOffset: 28, as: UInt64.self)
        let crc = CRC32.update(0, UnsafeRawBufferPointer(start: q, count: 36))
        q.storeBytes(of: crc.littleEndian, toByteOffset: 36, as: UInt32.self)
    }

    /// Parses the 40-byte payload; nil when its checksum does not match.
    static func load(payload q: UnsafeRawPointer) -> FrameInfo? {
        let crc = CRC32.update(0, UnsafeRawBufferPointer(start: q, count: 36))
        guard crc == q.loadLittleEndian(at: 36, as: UInt32.self) else { return nil }
        return FrameInfo(
            recordCount: q.loadLittleEndian(at: 0, as: UInt32.self),
            rawSize: q.loadLittleEndian(at: 4, as: UInt32.self),
            compressedSize: q.loadLittleEndian(at: 8, as: UInt32.self),
            minWallNs: q.loadLittleEndian(at: 12, as: Int64.self),
            maxWallNs: q.loadLittleEndian(at: 20, as: Int64.self),
            checksum: q.loadLittleEndian(at: 28, as: UInt64.self))
    }
}

/// One entry of the seek index: where a data frame starts and what time range it covers.
public struct FrameIndexEntry: Sendable, Equatable {
    /// File offset of the frame-info frame that precedes the data frame.
    public var offset: Int64
    public var recordCount: Int
    public var rawSize: Int
    public var compressedSize: Int
    public var minWallNs: Int64
    public var maxWallNs: Int64

    public init(offset: Int64, recordCount: Int, rawSize: Int, compressedSize: Int, minWallNs: Int64, maxWallNs: Int64) {
        self.offset = offset
        self.recordCount = recordCount
        self.rawSize = rawSize
        self.compressedSize = compressedSize
        self.minWallNs = minWallNs
        self.maxWallNs = maxWallNs
    }

    /// Bytes from the frame info to the end of the data frame.
    public var totalSize: Int64 { Int64(FrameInfo.frameSize + compressedSize) }

    init(offset: Int64, info: FrameInfo) {
        self.init(
            offset: offset, recordCount: Int(info.recordCount), rawSize: Int(info.rawSize),
            compressedSize: Int(info.compressedSize), minWallNs: info.minWallNs, maxWallNs: info.maxWallNs)
    }
}

/// The footer skippable frame: the seek index of every data frame, then a fixed tail.
///
/// ```
/// entries (36 bytes each): u64 offset, i64 min wall ns, i64 max wall ns, u32 records, u32 raw size, u32 compressed size
/// u32 entry count, u64 total records, u32 footer frame length (including its 8-byte skippable header),
/// u32 CRC32 of everything before it in the payload, 8 bytes "MPRISMIX"
/// ```
enum Footer {
    static let entrySize = 36
    static let tailSize = 4 + 8 + 4 + 4 + 8

    static func encodedFrame(entries: [FrameIndexEntry]) -> [UInt8] {
        let payloadSize = entries.count * entrySize + tailSize
        var frame: [UInt8] = []
        frame.reserveCapacity(8 + payloadSize)
        frame.appendLittleEndian(FrameFormat.footerMagic)
        frame.appendLittleEndian(UInt32(payloadSize))
        var total: UInt64 = 0
        for entry in entries {
            frame.appendLittleEndian(UInt64(entry.offset))
            frame.appendLittleEndian(entry.minWallNs)
            frame.appendLittleEndian(entry.maxWallNs)
            frame.appendLittleEndian(UInt32(entry.recordCount))
            frame.appendLittleEndian(UInt32(entry.rawSize))
            frame.appendLittleEndian(UInt32(entry.compressedSize))
            total += UInt64(entry.recordCount)
        }
        frame.appendLittleEndian(UInt32(entries.count))
        frame.appendLittleEndian(total)
        frame.appendLittleEndian(UInt32(8 + payloadSize))
        frame.appendLittleEndian(CRC32.checksum(frame[8...]))
        frame.append(contentsOf: FrameFormat.footerEndMagic)
        return frame
    }

    static func entry(at p: UnsafeRawPointer) -> FrameIndexEntry {
        FrameIndexEntry(
            offset: Int64(p.loadLittleEndian(at: 0, as: UInt64.self)),
            recordCount: Int(p.loadLittleEndian(at: 24, as: UInt32.self)),
            rawSize: Int(p.loadLittleEndian(at: 28, as: UInt32.self)),
            compressedSize: Int(p.loadLittleEndian(at: 32, as: UInt32.self)),
            minWallNs: p.loadLittleEndian(at: 8, as: Int64.self),
            maxWallNs: p.loadLittleEndian(at: 16, as: Int64.self))
    }
}
